"""The state file is lost between cycles. The next run must refuse to start rather than treat linked
records as first links; `crmsync rebuild-state` relinks from the cross-reference ids, and the sync after
it writes nothing for records that were already in agreement."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.cli.run_commands import failure_messages

pytestmark = pytest.mark.slow  # make test-slow


def test_a_lost_state_file_refuses_to_sync_until_rebuilt(sandbox, sync, query, tmp_path, monkeypatch):
    for _ in range(2):
        assert sync().success
    links_before = query("SELECT pair, count(*) FROM links GROUP BY ALL ORDER BY ALL")

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "replacement.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    before = sandbox.calls()
    refused = sync()
    assert not refused.success
    failures = " ".join(failure_messages(refused))
    assert "crmsync rebuild-state" in failures and "cross-reference ids" in failures
    assert query("SELECT count(*) FROM plan_rows") == [(0,)]
    assert query("SELECT count(*) FROM write_results") == [(0,)]
    assert query("SELECT count(*) FROM links") == [(0,)]
    assert sandbox.calls()["salesforce"] - before["salesforce"] < 20  # reads only: extract, then stop

    rebuilt = CliRunner().invoke(cli, ["rebuild-state"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Relinked" in rebuilt.output
    links_after = query("SELECT pair, count(*) FROM links GROUP BY ALL ORDER BY ALL")
    assert links_after == links_before
    relinked_by = {m for (m,) in query("SELECT DISTINCT matched_by FROM links")}
    assert relinked_by <= {"salesforce_id_in_hubspot", "hubspot_id_in_salesforce"}

    again = CliRunner().invoke(cli, ["rebuild-state"])
    assert "nothing to rebuild" in " ".join(again.output.split())

    settled = sync()
    assert settled.success
    written = query("SELECT count(*) FROM write_results WHERE run_id = ?", settled.run_id)
    assert written == [(0,)]
