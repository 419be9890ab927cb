"""The second half of the fixpoint property's examples (test_fixpoint.py says what it checks and how
many): a test of its own, in a file of its own, so that `make test-slow`'s two xdist workers
(`--dist loadfile`) run both halves side by side. Derandomized examples are drawn from the test's name, so these differ from
test_fixpoint.py's."""

from __future__ import annotations

import pytest
from fixpoint_run import check
from fixpoint_scenarios import EXAMPLE_SETTINGS, FIXPOINT_EXAMPLES, FIXPOINT_SCENARIOS
from hypothesis import given, settings


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(max_examples=FIXPOINT_EXAMPLES, **EXAMPLE_SETTINGS)
@given(scenario=FIXPOINT_SCENARIOS)
def test_a_second_sync_writes_nothing_more_examples(crms, scenario):
    check(scenario, crms)
