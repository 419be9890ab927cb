"""Deterministic, realistic, messy seed data for both sandbox CRMs."""

from .generate import generate_world
from .model import (
    HubSpotSide,
    SalesforceSide,
    SeedAssociation,
    SeedList,
    SeedOptions,
    SeedRecord,
    SeedWorld,
)

__all__ = [
    "HubSpotSide",
    "SalesforceSide",
    "SeedAssociation",
    "SeedList",
    "SeedOptions",
    "SeedRecord",
    "SeedWorld",
    "generate_world",
]
