"""Measure every numerical migration trap of MIGRATION.md on this machine.

Runs `compare.py --perturb NAME` (exact mode) for each negative control with
the original's full step budget, and writes the table MIGRATION.md quotes:

    python tools/measure_traps.py [--data sample] [--out docs/traps]

Each row: the first step whose loss differs from legacy's, the last epoch's
printed cost on both sides, the test reconstruction MSE on both sides, and
the kNN(5) accuracy of both sides' test codes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tf1kit.files import atomic_path  # noqa: E402
from parity.perturbations import PERTURBATIONS  # noqa: E402


def measure(name, data, seed):
    """One comparison (`python compare.py`, in its own process); returns
    its row of the table."""
    with tempfile.TemporaryDirectory() as folder:
        argv = ["--data", data, "--seed", str(seed), "--quiet", "--out",
                os.path.join(folder, "run")] + (["--perturb", name] if name else [])
        done = subprocess.run([sys.executable, os.path.join(ROOT, "compare.py"), *argv],
                              capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):  # match or mismatch: anything else is an error
            raise SystemExit(f"compare.py {' '.join(argv)} failed: {done.stderr.strip()}")
        with open(os.path.join(folder, "run", "report.json"), encoding="utf-8") as stream:
            run = json.load(stream)["runs"][0]
    legacy, modern, losses = run["legacy"], run["modern"], run["losses"]
    return {"perturb": name, "first_differing_step": losses["first_differing_step"],
            "legacy_last_cost": legacy["epoch_costs"][-1] if legacy["epoch_costs"] else None,
            "modern_last_cost": modern["epoch_costs"][-1] if modern["epoch_costs"] else None,
            "legacy_test_cost": legacy["test_cost"], "modern_test_cost": modern["test_cost"],
            "legacy_knn": legacy["quality"].get("knn_accuracy"),
            "modern_knn": modern["quality"].get("knn_accuracy"),
            "failure": legacy["failure"] or modern["failure"]}


def markdown(rows) -> str:
    def number(value, digits):
        return "-" if value is None else f"{value:.{digits}f}"
    lines = ["| `--perturb` | first differing step | last epoch cost legacy / modern | "
             "test MSE legacy / modern | kNN accuracy legacy / modern |",
             "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['perturb'] or '(none: exact)'} | {row['first_differing_step'] or 'none'} | "
            f"{number(row['legacy_last_cost'], 5)} / {number(row['modern_last_cost'], 5)} | "
            f"{number(row['legacy_test_cost'], 5)} / {number(row['modern_test_cost'], 5)} | "
            f"{number(row['legacy_knn'], 3)} / {number(row['modern_knn'], 3)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="sample", help="data source, as compare.py --data")
    parser.add_argument("--seed", type=int, default=0, help="seed of every comparison")
    parser.add_argument("--out", default="docs/traps", help="path prefix of the .json and .md")
    parser.add_argument("--only", nargs="*", default=None, metavar="NAME",
                        help="measure only these perturbations (default: all, and none)")
    args = parser.parse_args()
    names = args.only if args.only is not None else [None, *PERTURBATIONS]
    rows = []
    for name in names:
        rows.append(measure(name, args.data, args.seed))
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    with atomic_path(args.out + ".json") as temporary, open(temporary, "w") as stream:
        json.dump({"data": args.data, "seed": args.seed, "rows": rows}, stream, indent=1)
    with atomic_path(args.out + ".md") as temporary, open(temporary, "w") as stream:
        stream.write(markdown(rows))


if __name__ == "__main__":
    main()
