"""A record resent within the run (a retryable per-record failure) keeps what the CRM took before it."""

from __future__ import annotations

from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.write import retries


def test_a_resent_create_that_fails_again_keeps_what_hubspot_took_the_first_time(monkeypatch):
    """HubSpot took a create's record and properties, then refused its association with a retryable code;
    the resent upsert then failed on its own. The record exists all the same: its id and the properties
    taken stay on the failure, so the audit log calls them confirmed and the record is linked."""
    monkeypatch.setattr(retries, "RECORD_RETRY_DELAY_S", 0.0)
    first = WriteResult.failed("101", "RATE_LIMIT", "association refused").partly_applied(
        frozenset({"email", "jobtitle"})
    )
    sent: list[list[str]] = []

    def send(batch: list[str]) -> list[WriteResult]:
        sent.append(batch)
        return [WriteResult.failed(None, "RATE_LIMIT", "upsert refused") for _ in batch]

    [result] = retries.retry_transient(["003A"], [first], send)

    assert sent == [["003A"]] * retries.RECORD_RETRIES  # resent, and refused each time
    assert not result.succeeded and result.error_code == "RATE_LIMIT"
    assert result.record_id == "101" and result.applied == {"email", "jobtitle"}


def test_a_resent_record_that_succeeds_is_a_success(monkeypatch):
    monkeypatch.setattr(retries, "RECORD_RETRY_DELAY_S", 0.0)
    first = WriteResult.failed("101", "UNABLE_TO_LOCK_ROW", "locked").partly_applied(frozenset({"email"}))
    [result] = retries.retry_transient(["003A"], [first], lambda b: [WriteResult.ok("101") for _ in b])
    assert result.succeeded and result.applied == frozenset()
