"""Placeholder replaced below in this session."""
from .model import HubSpotSide, SalesforceSide, SeedOptions, SeedWorld


def generate_world(options: SeedOptions) -> SeedWorld:
    return SeedWorld(HubSpotSide(), SalesforceSide())
