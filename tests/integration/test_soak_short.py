"""The short chaos soak inside `make test-slow`: the same harness as `make soak` (bench/soak), smaller. Both
sandbox CRMs run in their own process and `crmsync sync` runs as a subprocess, so the soak can kill it:
once just after Salesforce confirmed a write the state never recorded, once while a Bulk job runs. Edits
on both sides between cycles and during them, every fault kind on while syncs run, then two clean cycles:
both CRMs must agree with the soak's own model on every mapped field, with no duplicates."""

from __future__ import annotations

import pytest

from bench.soak.driver import Soak, SoakOptions
from bench.soak.report import summary, write
from bench.soak.syncs import FAULTS

pytestmark = pytest.mark.slow  # make test-slow


def test_the_short_soak_converges_with_no_discrepancy_and_no_duplicate():
    options = SoakOptions(
        cycles=5, edits=70, kills=0, seed=5, companies=10, people=40, state_loss=False,
        fixed_kills=("after_salesforce_write", "while_bulk_job_runs"),
        # few requests in a short soak: rates high enough that every kind is met
        faults={**FAULTS, "error_rates": {500: 0.05, 503: 0.05}, "drop_rate": 0.05, "record_failure_rate": 0.1},
    )  # fmt: skip
    result = Soak(options).run()
    s = write(result, "soak_short")
    assert s == summary(result)

    assert s["discrepancies"] == 0, result.findings.discrepancies[:5] or result.audits
    assert s["duplicates"] == 0, result.findings.duplicates[:5]
    assert s["audit_mismatches"] == 0, result.truth["audit_mismatches"][:5]
    assert s["cleared_by_crmsync"] == 0, result.truth["cleared_by_crmsync"][:5]
    assert sum(result.automation_runs["salesforce"].values()) > 0  # the CRMs' automation was on and ran
    assert s["last_clean_cycle_writes"] == 0
    # the chaos happened: both kills landed, every fault kind was met, edits landed during runs
    assert s["kills"] == 2, [(c.cycle, c.kill, c.exit_code, c.note) for c in result.cycles]
    met = {kind.split(" ", 1)[1] for kind, n in s["faults_by_kind"].items() if n}
    assert {
        "burst_429",
        "status_500",
        "status_503",
        "drop",
        "record_failure",
        "401 (expired session)",
    } <= met, met
    assert s["edits"] >= 60 and s["mid_run_edits_applied"] >= 1
    assert s["checked_entities"] >= 50
