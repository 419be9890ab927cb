"""One pair of sandbox CRMs for the whole session of property tests, with crmsync pointed at them
through the environment as a user's sync would be; each example empties them through the admin API."""

from __future__ import annotations

import pytest
from fixpoint_crms import FixpointCrms


@pytest.fixture(scope="session")
def crms():
    box = FixpointCrms()
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", box.hubspot.url)
    mp.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", box.salesforce.url)
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        mp.delenv(name, raising=False)
    yield box
    mp.undo()
    box.stop()
