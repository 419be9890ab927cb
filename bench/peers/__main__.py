"""`python -m bench.peers --people 10000`: writes bench/results/peers.json and prints a Markdown table."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .harness import run
from .summary import report

RESULTS = Path(__file__).resolve().parent.parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(
        description="crmsync's extract vs meltano-tap-hubspot and tap-salesforce"
    )
    parser.add_argument("--people", type=int, default=10_000, help="people per side in the sandbox")
    args = parser.parse_args()
    results = run(people=args.people)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "peers.json").write_text(json.dumps(results, indent=2))
    print("\n".join(report(results)))


if __name__ == "__main__":
    main()
