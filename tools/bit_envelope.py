"""The bit envelope: which factors of the environment decide the float32 bits
of the original program and its rewrite, measured one at a time from a
baseline on this machine.

    python -m tools.bit_envelope                 # ~3 min on 2 cores; updates docs/bit_envelope.*

A baseline recording of the legacy side (the machine's default thread
counts and oneDNN setting, step 1's values kept) is made first. Then each
factor is changed alone: the legacy side is recorded again under it and
compared with the baseline bit for bit (parity/golden/changes.py), and the modern
side is replayed under it against the baseline recording (`compare.py
--against`), which gives the microscope's first differing tensor, the float64
referee's verdict and the cross-environment verdict. Two replicas are a
live comparison (`--strategy mirrored`); the Keras backend row replays the
modern side on JAX (`--backend jax`). The TensorFlow version rows come
from the version matrix (docs/tf_matrix.json), the CPU rows from the
golden recordings of each CPU kind (golden/sample/), compared with each
other. Each machine's rows are kept under its CPU kind in
docs/bit_envelope.json; the page shows every kind measured so far.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
JSON_PATH = os.path.join(DOCS, "bit_envelope.json")
COMMAND = "python -m tools.bit_envelope"
TIMEOUT_S = 600


def compare(arguments: list, environment: dict | None = None) -> tuple[int, str]:
    """compare.py in a fresh process (threads and oneDNN are fixed when
    TensorFlow's runtime starts): (exit status, output)."""
    child = subprocess.run([sys.executable, "compare.py", *arguments], cwd=ROOT,
                           capture_output=True, text=True, timeout=TIMEOUT_S,
                           env={**os.environ, "PYTHONPATH": ROOT, **(environment or {})})
    return child.returncode, child.stdout + child.stderr


def legacy_row(baseline: dict, folder: str, flags: list, environment: dict, steps: int) -> dict:
    """The legacy side recorded under a change, against the baseline's bits
    (`baseline`: its seed 0's arrays)."""
    from parity.golden import changes, recording
    status, output = compare(["--record", folder, "--epochs", "1", "--steps-per-epoch",
                              str(steps), "--trace-values", "none", "--quiet", *flags],
                             environment)  # the digests decide bit for bit
    if status != 0:
        return {"identical": None, "line": f"no recording (exit {status}): {output[-300:]}"}
    _, after = recording.load(folder)
    line = changes.seed_change(baseline, after[0])
    return {"identical": line.startswith("unchanged: the same bits") and ", but" not in line,
            "line": line}


def modern_row(arguments: list, environment: dict, out: str) -> dict:
    """The modern side under a change, against the baseline recording (or a
    live comparison): its verdict, first differing tensor and referee."""
    status, output = compare([*arguments, "--quiet", "--out", out, "--force"], environment)
    path = os.path.join(out, "report.json")
    if not os.path.isfile(path):
        return {"outcome": "error", "line": output.strip().splitlines()[-1:]}
    report = json.load(open(path, encoding="utf-8"))
    run, verdict = report["runs"][0], report["verdict"]
    divergence = run["divergence"] or {}
    first = divergence.get("first") or {}
    distances = (divergence.get("referee") or {}).get(f"{first.get('kind')} "
                                                      f"{first.get('tensor')}", {})
    return {"outcome": verdict["outcome"], "status": status,
            "identical_steps": run["losses"]["identical_steps"],
            "steps": run["losses"]["steps_compared"],
            "first": f"step {divergence.get('step')}: {first['kind']} {first['tensor']}"
            if first else None,
            "referee": distances, "referee_verdict": divergence.get("verdict"),
            "reasons": verdict["reasons"][:2]}


def changes_to_measure(baseline_threads: dict, onednn: bool) -> list:
    """(factor, value, compare.py flags, environment variables) per row."""
    rows = []
    for count in (1, 2, 4):
        if count != baseline_threads["intra_op"]:
            rows.append(("intra-op threads", str(count), ["--intra-op-threads", str(count)], {}))
    for count in (1, 4):
        if count != baseline_threads["inter_op"]:
            rows.append(("inter-op threads", str(count), ["--inter-op-threads", str(count)], {}))
    rows.append(("oneDNN", "off" if onednn else "on", [],
                 {"TF_ENABLE_ONEDNN_OPTS": "0" if onednn else "1"}))
    return rows


def measure(steps: int, log=print) -> dict:
    """This machine's rows (see the module docstring)."""
    from tf1kit import environment
    from parity.golden import against
    here = environment.environment_before("cpu")
    threads = environment.default_threads()
    onednn = here["machine"]["onednn"]["enabled"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        baseline = os.path.join(work, "baseline")
        started = time.perf_counter()
        # Values at steps 1-3: a difference born there is refereed on both sides.
        status, output = compare(["--record", baseline, "--epochs", "1", "--steps-per-epoch",
                                  str(steps), "--trace-values", "1-3", "--quiet"])
        if status != 0:
            raise SystemExit(f"bit_envelope: the baseline recording failed: {output[-500:]}")
        log(f"baseline recorded ({time.perf_counter() - started:.0f} s)")
        from parity.golden import recording
        baseline_arrays = recording.load(baseline)[1][0]
        against = ["--against", baseline]
        rows.append({"factor": "legacy vs modern", "value": "same environment", "legacy": None,
                     "modern": modern_row(against, {}, os.path.join(work, "same"))})
        for index, (factor, value, flags, variables) in enumerate(
                changes_to_measure(threads, onednn)):
            legacy = legacy_row(baseline_arrays, os.path.join(work, f"legacy-{index}"), flags,
                                variables, steps)
            modern = modern_row([*against, *flags], variables, os.path.join(work, f"m-{index}"))
            rows.append({"factor": factor, "value": value, "legacy": legacy, "modern": modern})
            log(f"{factor} {value}: legacy {legacy['line'][:60]}; modern {modern['outcome']}")
        if importlib.util.find_spec("jax") is not None:  # the rewrite on another backend
            rows.append({"factor": "Keras backend", "value": "jax (modern side only)",
                         "legacy": None, "modern": modern_row(
                             [*against, "--backend", "jax"], {}, os.path.join(work, "jax"))})
            log(f"jax backend: modern {rows[-1]['modern']['outcome']}")
        live = ["--epochs", "1", "--steps-per-epoch", str(steps)]
        rows.append({"factor": "batch split across replicas", "value": "2 (mirrored)",
                     "legacy": None, "modern": modern_row(
                         [*live, "--strategy", "mirrored", "--replicas", "2"], {},
                         os.path.join(work, "replicas"))})
        log("replicas measured")
    label = environment.kind_label(here["machine"])
    return {"label": label, "cpu": here["machine"]["cpu"], "cores": here["machine"]["cores"],
            "cpu_flags": here["machine"]["cpu_flags"], "onednn": onednn,
            "baseline_threads": threads, "versions": {key: here["versions"][key] for key in
                                                      ("tensorflow", "keras", "numpy")},
            "steps": steps, "measured": datetime.date.today().isoformat(), "rows": rows,
            "bit_deciding": [list(part) for part in environment.BIT_DECIDING]}


def cpu_rows() -> list:
    """Each pair of golden/sample recordings (one per CPU kind), compared."""
    from parity.golden import changes, recording
    from parity.golden.sets import RecordingSet
    members = RecordingSet(os.path.join(ROOT, "golden", "sample")).members
    rows = []
    for index, first in enumerate(members):
        for second in members[index + 1:]:
            line = changes.seed_change(recording.load(first.folder)[1][0],
                                       recording.load(second.folder)[1][0])
            rows.append({"first": first.label, "second": second.label, "line": line})
    return rows


def version_rows() -> dict:
    """The version matrix's legacy-against-golden rows (docs/tf_matrix.json)."""
    path = os.path.join(DOCS, "tf_matrix.json")
    if not os.path.isfile(path):
        return {}
    matrix = json.load(open(path, encoding="utf-8"))
    return {"measured": matrix["measured"], "machine": matrix["machine"],
            "rows": [{"tensorflow": row["versions"]["tensorflow"],
                      "python": row["versions"]["python"],
                      "legacy": (row.get("legacy_golden") or {}).get("summary"),
                      "modern": (row.get("modern_golden") or {}).get("summary")}
                     for row in matrix["rows"] if row.get("versions")]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200,
                        help="steps of each run (default 200: one epoch of the sample)")
    parser.add_argument("--out", default=DOCS, help="folder for bit_envelope.md/.json")
    args = parser.parse_args(argv)
    if not 20 <= args.steps <= 2140:
        parser.error("--steps must be from 20 to 2140")
    from tools import bit_envelope_report
    json_path = os.path.join(args.out, "bit_envelope.json")
    kept = json.load(open(json_path, encoding="utf-8")) if os.path.isfile(json_path) else {}
    machines = kept.get("machines", {})
    found = measure(args.steps)
    machines[found["label"]] = found
    result = {"command": COMMAND, "machines": machines, "cpu": cpu_rows(),
              "versions": version_rows()}
    os.makedirs(args.out, exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as stream:
        json.dump(result, stream, indent=1)
        stream.write("\n")
    with open(os.path.join(args.out, "bit_envelope.md"), "w", encoding="utf-8") as stream:
        stream.write(bit_envelope_report.render(result))
    print(f"wrote {os.path.join(args.out, 'bit_envelope.md')} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
