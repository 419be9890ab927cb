"""What one junction sync wrote (a deal's contact roles, its HubSpot deal-contact associations): one
result per associated pair, in write_results and, when it failed, in sync_errors with the CRM's code
(ref `<this id>:<other id>` of the side written). Only pairs the CRM confirmed count as written: a pair
HubSpot left out of a 207 answer, or a row Salesforce failed in a collection, stays out of base and is
tried again next run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state import db
from crmsync_pipeline.state.names import quoted
from crmsync_pipeline.state.sync_errors import keep_results


@dataclass
class JunctionSummary:
    read: int = 0
    to_salesforce: int = 0
    to_hubspot: int = 0
    removed: int = 0
    failed: int = 0


def confirmed_pairs(
    wanted: list[tuple[str, str]], answer: tuple[set[tuple[str, str]], str | None]
) -> list[WriteResult]:
    """One result per wanted pair: a pair HubSpot did not confirm (a 207 answer) failed."""
    confirmed, code = answer
    return [
        WriteResult.ok(None)
        if (str(t), str(o)) in confirmed
        else WriteResult.failed(None, code or "ASSOCIATION_FAILED",
                                f"HubSpot did not confirm the association of {t} with {o}")
        for t, o in wanted
    ]  # fmt: skip


def all_of(results: list[WriteResult]) -> WriteResult:
    """A pair held by several junction rows is removed once every row is deleted (a row someone deleted
    meanwhile, ENTITY_IS_DELETED, is as good as deleted)."""
    return next((r for r in results if not gone(r)), WriteResult.ok(results[0].record_id))


def gone(result: WriteResult) -> bool:
    return result.succeeded or result.error_code == "ENTITY_IS_DELETED"


class JunctionWrites:
    """What one junction sync wrote: results and sync_errors per pair (`<this id>:<other id>` of the side
    written), the summary's counts, and which pairs count as agreed."""

    def __init__(
        self, state_path: Path, run_id: str, pair_name: str, now: datetime, summary: JunctionSummary
    ):
        self.state_path, self.run_id, self.pair_name, self.now = state_path, run_id, pair_name, now
        self.summary = summary
        self.failed_refs: dict[str, set[str]] = {"hubspot": set(), "salesforce": set()}

    def attempt(self, call: Callable[[], list[WriteResult]], count: int) -> list[WriteResult]:
        """The CRM's answer per record, or its error for every record when the whole call failed: the
        pairs stay out of base and are tried again next run."""
        try:
            return call()
        except CrmError as err:
            return [WriteResult.failed(None, err.code, err.message)] * count

    def added(self, target: str, keys: list, pairs: list, results: list[WriteResult]) -> set[tuple[str, str]]:
        self._keep(target, "associate", pairs, results)
        done = {k for k, r in zip(keys, results, strict=True) if r.succeeded}
        if target == "salesforce":
            self.summary.to_salesforce += len(done)
        else:
            self.summary.to_hubspot += len(done)
        self.summary.failed += len(keys) - len(done)
        return done

    def removed(
        self, target: str, keys: list, pairs: list, results: list[WriteResult]
    ) -> set[tuple[str, str]]:
        """The pairs whose removal failed: they stay agreed, so the removal is tried again."""
        self._keep(target, "dissociate", pairs, results)
        kept = {k for k, r in zip(keys, results, strict=True) if not r.succeeded}
        self.summary.removed += len(keys) - len(kept)
        self.summary.failed += len(kept)
        return kept

    def _keep(self, target: str, operation: str, pairs: list, results: list[WriteResult]) -> None:
        refs = [(f"{t}:{o}", r) for (t, o), r in zip(pairs, results, strict=True)]
        self.failed_refs[target] |= {ref for ref, r in refs if not r.succeeded}
        with db.connect(self.state_path) as con:
            keep_results(con, self.run_id, self.pair_name, target, operation, refs, self.now)

    def forget_settled(self, other_pair: str) -> None:
        """Pairs that failed before and were not tried this run no longer differ: their errors go."""
        with db.connect(self.state_path) as con:
            for target in ("hubspot", "salesforce"):
                id_column = quoted(f"{target}_id")  # a ref holds the ids of the side written
                con.execute(
                    f"""DELETE FROM sync_errors WHERE pair = $this AND target = $target
                        AND record_ref NOT IN (SELECT unnest($failed::VARCHAR[]))
                        AND split_part(record_ref, ':', 1) IN (SELECT {id_column} FROM links WHERE pair = $this)
                        AND split_part(record_ref, ':', 2) IN (SELECT {id_column} FROM links WHERE pair = $other)""",
                    {"this": self.pair_name, "other": other_pair, "target": target,
                     "failed": sorted(self.failed_refs[target])},
                )  # fmt: skip
