"""The chaos soak's cycle loop: the sandbox CRMs in their own process, `crmsync sync` as a subprocess
(so it can be killed with SIGKILL), edits between cycles and during them, faults on while a sync runs,
kills at random points and at fixed ones (a CRM confirmed a write the state never recorded; a Bulk job
submitted and never followed), the state file lost once, then two clean cycles and the oracle."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.sandbox_process import SandboxProcess

from . import audit_truth, edge_checks, state_checks
from .automation import RULES
from .crm import SoakCrms
from .edits import EditGenerator
from .model import World
from .operations import Operations
from .oracle import Snapshot, check, refresh_ids
from .syncs import CRMSYNC, FAULTS, FIXED_KILLS, MID_RUN_HOOKS, ROOT, kill_process, run_cli, soak_env, tail


@dataclass
class SoakOptions:
    cycles: int = 30
    edits: int = 1000
    kills: int = 3  # random kills, on top of the fixed ones
    fixed_kills: tuple[str, ...] = tuple(FIXED_KILLS)
    seed: int = 7
    companies: int = 30
    people: int = 150
    merges: bool = False
    state_loss: bool = True
    bulk_threshold: int = 10
    automation: bool = True  # the CRM automation of bench/soak/automation.py, on in both sandboxes
    edges: bool = True  # keyless people, merges into unlinked survivors (life_edits.py), undos and erasures
    undos: int = 3  # undos of the sync just run (operations.py); the last one while the CRMs refuse writes
    erasures: int = 2  # one `crmsync forget`, one GDPR delete in HubSpot, alternating
    # HubSpot-side association changes are missed by crmsync's extract (docs/soak.md)
    hubspot_association_edits: bool = False
    faults: dict[str, Any] = field(default_factory=lambda: dict(FAULTS))  # while each fault cycle's sync runs
    keep_state: str = ""  # copy the state file to bench/results/<name>.duckdb for a post-mortem


@dataclass
class CycleLog:
    cycle: int
    phase: str
    edits: int = 0
    mid_run_queued: int = 0
    mid_run_applied: int = 0
    kill: str | None = None
    killed: bool = False
    exit_code: int | None = None
    seconds: float = 0.0
    note: str = ""


@dataclass
class SoakResult:
    options: SoakOptions
    cycles: list[CycleLog] = field(default_factory=list)
    edits: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    hooks_fired: list[str] = field(default_factory=list)
    state_loss: dict[str, Any] = field(default_factory=dict)
    findings: Any = None
    audits: dict[str, list[Any]] = field(default_factory=dict)
    last_cycle_writes: int = -1
    wall_seconds: float = 0.0
    population: dict[str, int] = field(default_factory=dict)
    http_statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    state_copy: str = ""
    automation_runs: dict[str, dict[str, int]] = field(default_factory=dict)  # side -> rule -> runs
    truth: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # audit_truth.check
    operations: list[dict[str, Any]] = field(default_factory=list)  # undos and erasures (operations.py)


class Soak:
    def __init__(self, options: SoakOptions):
        self.o = options
        self.rng = random.Random(options.seed)
        self.world = World()
        self.result = SoakResult(options)
        self.durations: list[float] = []

    # ---- the run ---------------------------------------------------------------------------------
    def run(self) -> SoakResult:
        started = time.monotonic()
        with SandboxProcess(records=0) as sandbox, tempfile.TemporaryDirectory(prefix="crmsync-soak-") as tmp:
            self.crms = SoakCrms(sandbox.hubspot_url, sandbox.salesforce_url)
            self.crms.admin(f"{sandbox.hubspot_url}/_sandbox/settings", {"search_lag_seconds": 0})
            if self.o.automation:
                for side, rules in RULES.items():
                    self.crms.admin(f"{self._url(side)}/_sandbox/automation", rules, method="PUT")
            self.env = soak_env(sandbox, Path(tmp), self.o.bulk_threshold)
            run_cli(self.env, "setup", check=True)
            self.gen = EditGenerator(
                self.crms,
                self.world,
                self.rng,
                f"s{self.o.seed}",
                self.o.merges,
                self.o.hubspot_association_edits,
                self.o.edges,
            )
            self.ops = Operations(self.crms, self.world, self.env, self.o.automation, self.o.seed)
            self.gen.seed(self.o.companies, self.o.people)
            for _ in range(2):
                self._cycle(0, "warm-up", faults=False)
            fault_cycles = max(1, self.o.cycles - 2)
            loss_at = fault_cycles // 2 + 1 if self.o.state_loss else -1
            plan = self._kill_plan(fault_cycles, loss_at)
            self._operation_plan = self._plan_operations(fault_cycles, loss_at, plan)
            per_cycle = max(1, round(self.o.edits / fault_cycles))
            for n in range(1, fault_cycles + 1):
                if n == loss_at:
                    self._edits_and_cycle(
                        n, per_cycle, "clean, then state loss", kill=None, faults=False, mid_run=False
                    )
                    self._lose_state()
                    continue
                self._edits_and_cycle(n, per_cycle, "faults", kill=plan.get(n), faults=True)
                self._operate(n)
            self.crms.faults(None)
            for n in (fault_cycles + 1, fault_cycles + 2):
                self._cycle(n, "clean", faults=False)
            self._finish()
        self.result.wall_seconds = round(time.monotonic() - started, 1)
        return self.result

    def _kill_plan(self, fault_cycles: int, loss_at: int) -> dict[int, str]:
        """Fixed kills spread evenly over the fault cycles, random ones on cycles left free."""
        slots = [c for c in range(1, fault_cycles + 1) if c != loss_at]
        fixed = list(self.o.fixed_kills)
        step = max(1, len(slots) // max(1, len(fixed) + self.o.kills))
        plan = dict(zip(slots[step - 1 :: step], fixed, strict=False))
        free = [c for c in slots if c not in plan]
        for cycle in self.rng.sample(free, min(self.o.kills, len(free))):
            plan[cycle] = "random"
        return plan

    def _plan_operations(self, fault_cycles: int, loss_at: int, kills: dict[int, str]) -> dict[int, str]:
        """cycle -> the operation run after its sync: undos (the last one under faults), then erasures,
        on cycles without a kill and away from the state loss."""
        if not self.o.edges:
            return {}
        free = [c for c in range(3, fault_cycles + 1) if c not in kills and abs(c - loss_at) > 1]
        ops = ["undo"] * max(0, self.o.undos - 1) + ["undo_with_faults"] * min(1, self.o.undos)
        ops += ["forget" if i % 2 == 0 else "hubspot_gdpr_delete" for i in range(self.o.erasures)]
        chosen = sorted(self.rng.sample(free, min(len(ops), len(free))))
        return dict(zip(chosen, ops, strict=False))

    def _operate(self, n: int) -> None:
        kind = self._operation_plan.get(n)
        last = self.result.cycles[-1] if self.result.cycles else None
        if kind is None or last is None or last.killed or last.exit_code != 0:
            return
        if kind.startswith("undo"):
            self.ops.undo_last_sync(n, with_faults=kind == "undo_with_faults")
            self.world.count(kind)
        else:
            people = [e for e in self.world.linked("contacts") if e.linked_scans >= 2 and e.key not in self.gen.touched]
            if people:
                self.ops.erase(n, self.rng.choice(people), kind)
        refresh_ids(self.world, Snapshot.read(self.crms))

    def _edits_and_cycle(
        self, n: int, budget: int, phase: str, kill: str | None, faults: bool, mid_run: bool = True
    ) -> None:
        self.gen.quiet_since = self._previous_round_start if hasattr(self, "_previous_round_start") else 0.0
        self._previous_round_start = self.gen.round_started = time.time()
        before = sum(self.world.counts.values())
        queued = self.gen.run_round(budget, mid_run=mid_run)
        if kill == "while_bulk_job_runs":
            self._bulk_burst()
        log = CycleLog(n, phase, edits=sum(self.world.counts.values()) - before, mid_run_queued=len(queued))
        requests = self.gen.mid_run_requests(queued)
        for side, reqs in requests.items():
            if reqs:
                self.crms.hook(self._url(side), {"on": MID_RUN_HOOKS[side], "then": {"apply_edits": reqs}})
        fired = self._cycle(n, phase, faults=faults, kill=kill, log=log)
        applied = [q for q in queued if fired.get(q[1], False)]
        self.gen.record_mid_run(applied, time.time())
        log.mid_run_applied = len(applied)
        log.edits += len(applied)

    def _bulk_burst(self) -> None:
        """Enough HubSpot edits on Leads that the next write to Salesforce goes as a Bulk job."""
        leads = [
            e
            for e in self.world.linked("contacts")
            if e.sf_object == "Lead" and e.key not in self.gen.touched
        ]
        title = self.world.field("contacts", "jobtitle")
        for entity in leads[: self.o.bulk_threshold + 5]:
            self.gen._apply(entity, "hubspot", title, self.gen.value("jobtitle"), "update")

    def _cycle(
        self, n: int, phase: str, faults: bool, kill: str | None = None, log: CycleLog | None = None
    ) -> dict[str, bool]:
        log = log or CycleLog(n, phase)
        log.kill = kill
        if faults:
            self.crms.faults({**self.o.faults, "seed": self.o.seed * 1000 + n})
            expire = {
                "url": f"{self.crms.sf}/_sandbox/salesforce/sessions/expire",
                "json": {"next_requests": 1},
            }
            on = {"nth": self.rng.randint(2, 6)}  # the session expires under the run, between two requests
            self.crms.hook(
                self.crms.sf, {"on": on, "then": {"apply_edits": [expire], "label": "session expiry"}}
            )
        started = time.monotonic()
        proc = subprocess.Popen([str(CRMSYNC), "sync"], env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)  # fmt: skip
        timer = None
        if kill in FIXED_KILLS:
            side, on = FIXED_KILLS[kill]
            self.crms.hook(self._url(side), {"on": on, "then": {"kill_pid": proc.pid, "signal": 9}})
        elif kill == "random":
            typical = sorted(self.durations)[len(self.durations) // 2] if self.durations else 10.0
            delay = self.rng.uniform(1.0, max(1.5, typical * 0.9))
            timer = threading.Timer(delay, lambda: kill_process(proc))
            timer.start()
        output, _ = proc.communicate(timeout=1800)
        if timer is not None:
            timer.cancel()
        self.crms.faults(None)
        if faults:  # an expiry the run did not live to meet must not meet the soak's own reads
            self.crms.admin(f"{self.crms.sf}/_sandbox/salesforce/sessions/expire", {"next_requests": 0})
        log.seconds = round(time.monotonic() - started, 1)
        log.exit_code = proc.returncode
        log.killed = proc.returncode == -signal.SIGKILL
        if not log.killed:
            self.durations.append(log.seconds)
            if proc.returncode != 0:
                log.note = tail(output)
        if kill in FIXED_KILLS and not log.killed:
            log.note = f"fixed kill {kill} never triggered; " + log.note
        self.result.cycles.append(log)
        fired = self._hooks_fired()  # and cleared: a hook left armed must not meet the soak's own reads
        refresh_ids(self.world, Snapshot.read(self.crms))
        return fired

    def _hooks_fired(self) -> dict[str, bool]:
        out = {}
        for side in ("hubspot", "salesforce"):
            rules = self.crms.hooks(self._url(side))
            for rule in rules:
                then = rule["then"]
                what = then.get("label") or ("kill" if "kill_pid" in then else "mid-run edits")
                self.result.hooks_fired.append(
                    f"{side} {what} on {rule['on']}: {'fired' if rule['fired'] else 'NOT fired'} (matched {rule['seen']})"
                )
                if "apply_edits" in then and "label" not in then:
                    out[side] = bool(rule["fired"])
            self.crms.hooks(self._url(side), clear=True)
        return out

    def _lose_state(self) -> None:
        state = Path(self.env["CRMSYNC_STATE_DB"])
        if self.o.keep_state:  # the lost file too, for a post-mortem of what crmsync knew before the loss
            lost = ROOT / "bench" / "results" / f"{self.o.keep_state}_lost.duckdb"
            lost.parent.mkdir(parents=True, exist_ok=True)  # bench/results/ is not in git: a fresh clone lacks it
            shutil.copy(state, lost)
        for p in (state, state.with_name(state.name + ".wal")):
            p.unlink(missing_ok=True)
        refused = run_cli(self.env, "sync")
        rebuilt = run_cli(self.env, "rebuild-state")
        self.result.state_loss = {
            "sync_refused": refused.returncode != 0 and "rebuild-state" in refused.stdout,
            "refusal": tail(refused.stdout, 400),
            "rebuild_exit": rebuilt.returncode,
            "rebuild": tail(rebuilt.stdout, 600),
        }

    def _finish(self) -> None:
        snap = Snapshot.read(self.crms)
        refresh_ids(self.world, snap)
        state_db = self.env["CRMSYNC_STATE_DB"]
        self.result.findings = check(self.world, snap, state_checks.conflicts(state_db), self.o.automation)
        if self.o.keep_state:
            copy = ROOT / "bench" / "results" / f"{self.o.keep_state}.duckdb"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(state_db, copy)
            self.result.state_copy = str(copy)
        self.result.audits = state_checks.audits(state_db, self.world)
        self.result.truth = audit_truth.check(state_db, self.world, snap, self.o.automation)
        self.result.operations = [asdict(op) for op in self.ops.done]
        self.result.findings.discrepancies += [f for op in self.ops.done for f in op.findings]
        self.result.findings.discrepancies += edge_checks.check(self.world, snap, self.env)
        self.result.last_cycle_writes = state_checks.last_run_writes(state_db)
        self.result.edits = dict(self.world.counts)
        for side in ("hubspot", "salesforce"):
            injected = self.crms.admin(f"{self._url(side)}/_sandbox/faults/injected", method="GET")
            for kind, count in injected.items():
                self.result.faults[f"{side} {kind}"] = count
            stats = self.crms.stats(self._url(side))
            self.result.http_statuses[side] = {
                **(stats.get("by_status") or {}),
                "routes": stats.get("by_route"),
            }
            if side == "salesforce":
                self.result.faults[f"{side} 401 (expired session)"] = int(
                    (stats.get("by_status") or {}).get("401", 0)
                )
        if self.o.automation:
            for side in ("hubspot", "salesforce"):
                runs = self.crms.admin(f"{self._url(side)}/_sandbox/automation/runs", method="GET")
                self.result.automation_runs[side] = runs.get("counts") or {}
        self.result.population = {
            "hubspot contacts": len(snap.hs_contacts), "hubspot companies": len(snap.hs_companies),
            "salesforce people": len(snap.sf_people), "salesforce accounts": len(snap.sf_accounts),
        }  # fmt: skip

    # ---- plumbing --------------------------------------------------------------------------------
    def _url(self, side: str) -> str:
        return self.crms.hs if side == "hubspot" else self.crms.sf
