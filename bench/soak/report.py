"""The soak's report: bench/results/soak.md for people and soak.json for machines."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .driver import SoakResult

RESULTS = Path(__file__).resolve().parents[1] / "results"


def summary(r: SoakResult) -> dict[str, Any]:
    f = r.findings
    audit_rows = sum(len(v) for v in r.audits.values())
    return {
        "cycles": len(r.cycles),
        "edits": sum(r.edits.values()),
        "edits_by_kind": r.edits,
        "faults": sum(r.faults.values()),
        "faults_by_kind": r.faults,
        "kills": sum(1 for c in r.cycles if c.killed),
        "kills_planned": [c.kill for c in r.cycles if c.kill],
        "mid_run_edits_applied": sum(c.mid_run_applied for c in r.cycles),
        "discrepancies": len(f.discrepancies) + audit_rows,
        "field_discrepancies": len(f.discrepancies),
        "state_audit_rows": audit_rows,
        "duplicates": len(f.duplicates),
        "audit_mismatches": len(r.truth.get("audit_mismatches", [])),
        "cleared_by_crmsync": len(r.truth.get("cleared_by_crmsync", [])),
        "conflicts_decided_by_crmsync_own_salesforce_write": len(f.own_write_decisions),
        "checked_entities": f.checked_entities,
        "checked_fields": f.checked_fields,
        "last_clean_cycle_writes": r.last_cycle_writes,
        "state_loss": r.state_loss,
        "wall_seconds": r.wall_seconds,
        "population": r.population,
        "automation_runs": r.automation_runs,
        "operations": [{k: op[k] for k in ("cycle", "kind", "exit_code", "fields_changed", "creates_undone",
                                            "held_in_review")} for op in r.operations],  # fmt: skip
    }


def write(r: SoakResult, name: str = "soak") -> dict[str, Any]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    s = summary(r)
    detail = {
        "summary": s,
        "options": asdict(r.options),
        "cycles": [asdict(c) for c in r.cycles],
        "discrepancies": r.findings.discrepancies,
        "duplicates": r.findings.duplicates,
        "state_audits": r.audits,
        "notes": r.findings.notes,
        "own_write_decisions": r.findings.own_write_decisions,
        "audit_mismatches": r.truth.get("audit_mismatches", []),
        "cleared_by_crmsync": r.truth.get("cleared_by_crmsync", []),
        "http_statuses": r.http_statuses,
        "hooks": r.hooks_fired,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(detail, indent=2, default=str))
    (RESULTS / f"{name}.md").write_text("\n".join(markdown(r, s)) + "\n")
    return s


def markdown(r: SoakResult, s: dict[str, Any]) -> list[str]:
    lines = [
        f"# Chaos soak (seed {r.options.seed})",
        "",
        f"{s['cycles']} cycles, {s['edits']} edits, {s['faults']} faults met, {s['kills']} kills, "
        f"**{s['discrepancies']} discrepancies, {s['duplicates']} duplicates, {s['audit_mismatches']} audit "
        f"mismatches, {s['cleared_by_crmsync']} values cleared by crmsync alone**; {s['checked_entities']} linked "
        f"records and {s['checked_fields']} fields checked; wall time {s['wall_seconds']} s.",
        "",
        "| edits | count |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in sorted(r.edits.items())],
        "",
        "| faults met | count |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in sorted(r.faults.items())],
        "",
        "| cycle | phase | edits | mid-run applied/queued | kill | killed | exit | s | note |",
        "|---:|---|---:|---|---|---|---:|---:|---|",
    ]
    for c in r.cycles:
        lines.append(f"| {c.cycle} | {c.phase} | {c.edits} | {c.mid_run_applied}/{c.mid_run_queued} | {c.kill or ''} | "
                     f"{'yes' if c.killed else ''} | {c.exit_code} | {c.seconds} | {c.note[:160]} |")  # fmt: skip
    lines += ["", f"State loss: {json.dumps(r.state_loss)[:600]}", "", "State audits (offending rows):", ""]
    lines += [f"- {name}: {len(rows)} {rows[:3] if rows else ''}" for name, rows in r.audits.items()]
    lines += ["", f"Last clean cycle wrote {s['last_clean_cycle_writes']} records.", "", "Discrepancies:", ""]
    lines += [f"- {json.dumps(d, default=str)[:500]}" for d in r.findings.discrepancies[:50]] or ["- none"]
    lines += [
        "",
        "Conflicts Salesforce won only because crmsync's own write made the record newer (the HubSpot edit is the conflict's recorded loser):",
        "",
    ]
    lines += [f"- {json.dumps(d, default=str)}" for d in r.findings.own_write_decisions] or ["- none"]
    for name in ("audit_mismatches", "cleared_by_crmsync"):
        lines += ["", f"{name.replace('_', ' ').capitalize()}:", ""]
        lines += [f"- {json.dumps(d, default=str)[:400]}" for d in r.truth.get(name, [])[:30]] or ["- none"]
    lines += ["", "Duplicates:", ""]
    lines += [f"- {json.dumps(d)}" for d in r.findings.duplicates[:50]] or ["- none"]
    lines += ["", "Hooks:", ""] + [f"- {h}" for h in r.hooks_fired]
    return lines
