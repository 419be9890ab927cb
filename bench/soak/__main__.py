"""`python -m bench.soak --cycles 30 --edits 1000 --kills 3 --seed S`: the chaos soak (`make soak`)."""

from __future__ import annotations

import argparse
import json
import signal
import sys

from .driver import Soak, SoakOptions
from .report import write
from .syncs import FIXED_KILLS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cycles", type=int, default=30)
    p.add_argument("--edits", type=int, default=1000)
    p.add_argument("--kills", type=int, default=3, help="random kills, on top of the three fixed ones")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--people", type=int, default=150)
    p.add_argument("--companies", type=int, default=30)
    p.add_argument(
        "--fixed-kills", default=",".join(FIXED_KILLS), help="comma-separated, of: " + ", ".join(FIXED_KILLS)
    )
    p.add_argument("--merges", action="store_true", help="also merge records (HubSpot and Salesforce)")
    p.add_argument("--no-state-loss", action="store_true")
    p.add_argument("--no-automation", action="store_true", help="switch off the CRM automation rules")
    p.add_argument("--no-edges", action="store_true",
                   help="no keyless people, merges into unlinked survivors, undos or erasures")  # fmt: skip
    p.add_argument("--keep-state", default="", help="copy the state file to bench/results/NAME.duckdb")
    p.add_argument(
        "--hubspot-association-edits", action="store_true", help="also change associations in HubSpot"
    )
    p.add_argument("--name", default="soak", help="bench/results/NAME.md and NAME.json")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the sandbox process on the way out
    options = SoakOptions(cycles=a.cycles, edits=a.edits, kills=a.kills, seed=a.seed, people=a.people,
                          companies=a.companies, merges=a.merges, hubspot_association_edits=a.hubspot_association_edits, keep_state=a.keep_state, fixed_kills=tuple(k for k in a.fixed_kills.split(",") if k), state_loss=not a.no_state_loss, automation=not a.no_automation, edges=not a.no_edges)  # fmt: skip
    summary = write(Soak(options).run(), a.name)
    print(json.dumps(summary, indent=2, default=str))
    failed = ("discrepancies", "duplicates", "audit_mismatches", "cleared_by_crmsync")
    sys.exit(1 if any(summary[k] for k in failed) else 0)


if __name__ == "__main__":
    main()
