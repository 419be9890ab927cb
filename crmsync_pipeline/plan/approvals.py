"""Approving a plan the update threshold held. An approval is bound to the plan it approved (docs/design.md):
it stores a digest of that plan's rows, and the threshold check of a later run lets its plan through
only when the plan is the very same (same records, fields, old and new values). So the writes that
happen are exactly the ones a person looked at; if anyone edited a record meanwhile, the new plan
differs and is held again for a fresh look. An approval is used once.

Re-planning from fresh data instead of replaying the old plan rows means nothing stale is ever written
(the held plan's old values are re-checked against the CRMs by the new run's extract).

What the threshold weighs (`weigh_plan`, sql/plan/threshold_updates.sql): the records whose existing
values the plan would change, first syncs included, and the records it would delete. A run that carries on
a plan already let through (passed or approved, then stopped at the API cap or by a crash) is weighed only
on what it adds to it. Each verdict is kept in plan_verdicts, so a held run can say what it holds."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.config import ApprovalThresholds
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql

PASSED, APPROVED, HELD = "passed", "approved", "held"


@dataclass(frozen=True)
class Approval:
    pair: str  # the pair's name, as in table plan_approvals
    digest: str
    records: int
    already: bool = False  # this plan was approved before (and not used yet)


def plan_digest(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> tuple[str, int]:
    """(digest, records to update) of one run's plan for one pair."""
    digest, records = con.execute(sql("plan/digest.sql"), {"run_id": run_id, "pair": pair_name}).fetchall()[0]
    return digest, int(records)


def held_pairs(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The pairs this run planned (with rows to write) but wrote nothing for: what an approval can release."""
    rows = con.execute(
        """SELECT DISTINCT pair FROM plan_rows p WHERE run_id = $run AND preflight_error IS NULL
           AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = $run AND a.pair = p.pair
                           AND a.outcome <> 'merged')
           ORDER BY pair""",
        {"run": run_id},
    ).fetchall()
    return [r[0] for r in rows]


def approve_plan(
    state_path: Path, run_id: str, pair_names: list[str] | None = None, by: str | None = None
) -> list[Approval]:
    """Record approvals of `run_id`'s plans (every held pair, or the ones named)."""
    now = datetime.now(UTC)
    out = []
    with db.connect(state_path) as con:
        for pair_name in pair_names or held_pairs(con, run_id):
            digest, records = plan_digest(con, run_id, pair_name)
            inserted = con.execute(
                "INSERT INTO plan_approvals VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING RETURNING pair",
                [pair_name, digest, run_id, records, now, by],
            ).fetchall()
            out.append(Approval(pair_name, digest, records, already=not inserted))
    return out


def is_approved(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> bool:
    """Whether an unused approval covers this very plan (a dry run looks, and leaves it unused)."""
    digest, _ = plan_digest(con, run_id, pair_name)
    return bool(
        con.execute(
            "SELECT 1 FROM plan_approvals WHERE pair = ? AND plan_digest = ? AND used_by_run_id IS NULL",
            [pair_name, digest],
        ).fetchall()
    )


def use_approval(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> bool:
    """Whether this run's plan for the pair was approved; marks the approval used by this run."""
    digest, _ = plan_digest(con, run_id, pair_name)
    used = con.execute(
        """UPDATE plan_approvals SET used_by_run_id = $run
           WHERE pair = $pair AND plan_digest = $digest AND (used_by_run_id IS NULL OR used_by_run_id = $run)
           RETURNING pair""",
        {"run": run_id, "pair": pair_name, "digest": digest},
    ).fetchall()
    return bool(used)


@dataclass(frozen=True)
class PlanWeight:
    """What the approval threshold weighs in one pair's plan."""

    linked: int  # the pair's links when the plan was made (the share's denominator)
    overwrites: int  # records whose existing values the plan would change (what it carries on aside)
    deletes: int  # records deleted on one side it would delete, restore or erase
    carried_on: int = 0  # planned changes that carry on a plan let through before (not counted)
    by_field: dict[str, int] = field(default_factory=dict)  # "hubspot jobtitle" -> records

    def needs_approval(self, thresholds: ApprovalThresholds) -> bool:
        return thresholds.needs_approval(self.linked, self.overwrites, self.deletes)

    def fields_text(self, most: int = 8) -> str:
        """`hubspot jobtitle 24, hubspot phone 24, ...`: the counted records by target and field."""
        shown = [f"{name} {count}" for name, count in list(self.by_field.items())[:most]]
        if len(self.by_field) > most:
            shown.append(f"{len(self.by_field) - most} more fields")
        return ", ".join(shown)


@dataclass(frozen=True)
class PlanVerdict:
    """The threshold's decision on one pair's plan in one run (table plan_verdicts)."""

    run_id: str
    pair: str
    verdict: str  # passed | approved | held
    weight: PlanWeight

    @property
    def held(self) -> bool:
        return self.verdict == HELD


def weigh_plan(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> PlanWeight:
    """The plan's records to overwrite (by target and field) and to delete, against the pair's links."""
    params = {"run_id": run_id, "pair": pair_name}
    rows = con.execute(sql("plan/threshold_updates.sql"), params).fetchall()
    counted = {(target, ref, name) for target, ref, name, carried in rows if not carried}
    by_field = Counter(f"{target} {name}" for target, _, name in counted)
    linked = con.execute("SELECT count(*) FROM links WHERE pair = ?", [pair_name]).fetchall()[0][0]
    deletes = con.execute(
        """SELECT count(DISTINCT target || record_ref) FROM plan_rows
           WHERE run_id = $run_id AND pair = $pair AND reason LIKE 'deletes:%' AND preflight_error IS NULL""",
        params,
    ).fetchall()[0][0]
    return PlanWeight(
        linked=int(linked),
        overwrites=len({(target, ref) for target, ref, _ in counted}),
        deletes=int(deletes),
        carried_on=sum(1 for *_, carried in rows if carried),
        by_field=dict(sorted(by_field.items(), key=lambda item: (-item[1], item[0]))),
    )


def judge_plan(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, thresholds: ApprovalThresholds, job: str
) -> PlanVerdict:
    """Weigh the plan, use a person's approval of this very plan if it needs one, and keep the verdict."""
    weight = weigh_plan(con, run_id, pair_name)
    verdict = PASSED
    if weight.needs_approval(thresholds):
        # a dry run (job `plan`) says whether its plan is approved but leaves the approval to the sync
        approved = (
            use_approval(con, run_id, pair_name) if job == "sync" else is_approved(con, run_id, pair_name)
        )
        verdict = APPROVED if approved else HELD
    con.execute(
        "INSERT OR REPLACE INTO plan_verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, pair_name, job, verdict, weight.linked, weight.overwrites, weight.deletes,
         weight.carried_on, json.dumps(weight.by_field), datetime.now(UTC)],
    )  # fmt: skip
    return PlanVerdict(run_id, pair_name, verdict, weight)


def held_verdicts(con: duckdb.DuckDBPyConnection, run_id: str) -> list[PlanVerdict]:
    """The pairs `run_id` held for approval, with what each would change."""
    rows = con.execute(
        """SELECT pair, linked, records_to_overwrite, records_to_delete, carried_on, by_field
           FROM plan_verdicts WHERE run_id = ? AND verdict = 'held' ORDER BY pair""",
        [run_id],
    ).fetchall()
    return [
        PlanVerdict(
            run_id, pair, HELD, PlanWeight(linked, overwrites, deletes, carried, json.loads(fields or "{}"))
        )
        for pair, linked, overwrites, deletes, carried, fields in rows
    ]


def open_holds(con: duckdb.DuckDBPyConnection) -> list[PlanVerdict]:
    """Each pair's latest held plan that nobody approved yet, unless a later run of the pair let a plan
    through (the hold is over), newest first."""
    rows = con.execute(sql("plan/open_holds.sql")).fetchall()
    return [
        PlanVerdict(
            run_id, pair, HELD, PlanWeight(linked, overwrites, deletes, carried, json.loads(fields or "{}"))
        )
        for run_id, pair, linked, overwrites, deletes, carried, fields in rows
    ]


def held_message(verdict: PlanVerdict, thresholds: ApprovalThresholds) -> str:
    """One line a person reads: what the held plan would change, and against which threshold."""
    weight = verdict.weight
    parts = []
    if weight.overwrites:
        parts.append(
            f"change existing values on {weight.overwrites} of {weight.linked} linked records "
            f"({weight.fields_text()}; max_update_share {thresholds.max_update_share:.0%})"
        )
    if weight.deletes:
        parts.append(
            f"delete, restore or erase {weight.deletes} records (max_delete_share {thresholds.max_delete_share:.0%})"
        )
    return f"{verdict.pair}: held for approval, the plan would " + " and ".join(parts)


def approve_command(run_id: str) -> str:
    return f"crmsync approve {run_id}"
