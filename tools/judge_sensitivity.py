"""The smallest real change the judge catches, measured: small changes
injected into the modern side, each scaled by 1 + 10^-k for k = 1..7, run
`compare.py --against` a recording in every environment this machine can
produce, plus an unchanged run in each (a MISMATCH there is a false alarm).

    python -m tools.judge_sensitivity                 # ~25 min on 2 cores
    python -m tools.judge_sensitivity --environments same onednn-off --changes learning-rate

The recording (200 steps of the bundled sample, values kept at steps 1-3)
is made here with the machine's defaults unless --recording names one.
Environments: the recording's own; another intra-op thread count; oneDNN
off; the JAX backend; the golden recorded on another CPU kind
(golden/sample/); and, on a GPU machine, JAX on the GPU against the golden
member that kept step 1's values (`--environments jax-gpu`, 2,140 steps a
case; loss-scale needs TensorFlow's model and is not run there). Each environment runs in a process of its own (oneDNN
and thread counts are fixed when TensorFlow starts), the cases in it one
after another through compare.py's own entry point, the change injected
as a --perturb row made for the case. For each change k runs from 7
down to the first change caught (the larger ones are caught a fortiori),
and the largest change is run too; then each --perturb row as it is. Results: docs/judge_sensitivity.json
and .md, one table per machine fingerprint.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JSON_PATH = os.path.join(ROOT, "docs", "judge_sensitivity.json")
K_RANGE = range(1, 8)
# The changes, each a factor 1 + 10^-k on one quantity of the modern side;
# the configuration the comparison checks against keeps the original values.
CHANGES = {
    "learning-rate": "Adam's learning rate",
    "beta1": "Adam's beta1",
    "beta2": "Adam's beta2",
    "epsilon": "Adam's epsilon",
    "init-scale": "every initial weight and bias (the initializer's scale)",
    "weight-element": "one initial weight element (encoder_h1[406, 0], the centre pixel's)",
    "bias-element": "one initial bias element (decoder_b4[0])",
    "loss-scale": "the loss (its reduction's scale)",
}
HYPERPARAMETERS = {"learning-rate": "learning_rate", "beta1": "adam_beta1",
                   "beta2": "adam_beta2", "epsilon": "adam_epsilon"}
# Where 1 + 10^-k makes no sense: beta2 0.999 times 1.01 is past 1.
FIRST_K = {"beta2": 3}
# MNIST's pixel (14, 14), row 14 * 28 + 14 of encoder_h1: inked in most digits.
CENTRE_PIXEL = 406
# name: (compare.py flags, environment variables, recording: "made" or a folder)
ENVIRONMENTS = {
    "same": ([], {}, "made"),
    "intra-op-4": (["--intra-op-threads", "4"], {}, "made"),
    "onednn-off": ([], {"TF_ENABLE_ONEDNN_OPTS": "0"}, "made"),
    "jax": (["--backend", "jax"], {}, "made"),
    "other-cpu-kind": ([], {}, "golden"),
    # The GPU machine (JAX on CUDA, no TensorFlow): the golden member that
    # kept step 1's values, the rewrite on the GPU.
    "jax-gpu": (["--backend", "jax", "--device", "gpu"], {}, "golden-values"),
}


def perturbation(change: str, factor: float):
    """The --perturb row that injects `change` scaled by `factor`."""
    from parity.perturbations import Perturbation
    description = f"{CHANGES[change]} x {factor!r}"
    if change in HYPERPARAMETERS:
        from common.config import Hyperparameters
        field = HYPERPARAMETERS[change]
        return Perturbation(f"inject-{change}", description, "-", hyperparameters={
            field: getattr(Hyperparameters(), field) * factor})

    def scaled(weights):
        import numpy as np
        changed = {name: np.array(value) for name, value in weights.items()}
        names = changed if change == "init-scale" else \
            ["encoder_h1" if change == "weight-element" else "decoder_b4"]
        for name in names:
            if change == "init-scale":
                changed[name] = (changed[name] * factor).astype(np.float32)
            else:  # encoder_h1's row of a border pixel, always 0, would change nothing
                flat = changed[name].reshape(-1)
                index = CENTRE_PIXEL * changed[name].shape[1] if name == "encoder_h1" else 0
                flat[index] = np.float32(flat[index] * factor)
        return changed
    if change == "loss-scale":
        return Perturbation(f"inject-{change}", description, "-")
    return Perturbation(f"inject-{change}", description, "-", initial=scaled)


def scaled_loss(factor: float):
    """Context that scales both backends' reconstruction loss by `factor`."""
    import contextlib

    @contextlib.contextmanager
    def patched():
        from modern import autoencoder, portable
        saved = autoencoder.reconstruction_loss, portable.reconstruction_loss
        autoencoder.reconstruction_loss = lambda y, p: saved[0](y, p) * factor
        portable.reconstruction_loss = lambda y, p: saved[1](y, p) * factor
        try:
            yield
        finally:
            autoencoder.reconstruction_loss, portable.reconstruction_loss = saved
    return patched()


def run_case(recording: str, flags: list, change: str | None, k: int | None,
             row: str | None = None) -> dict:
    """One compare.py --against in this process (`change` scaled by 1 +
    10^-k, or the --perturb `row`, or neither): the verdict and its first
    reason."""
    import contextlib
    import io
    import runpy

    from parity import perturbations
    argv = ["--against", recording, "--quiet", *flags]
    context = contextlib.nullcontext()
    if row is not None:
        argv += ["--perturb", row]
    if change is not None:
        factor = 1 + 10.0 ** -k
        injected = perturbation(change, factor)
        perturbations.PERTURBATIONS[injected.name] = injected
        argv += ["--perturb", injected.name]
        if change == "loss-scale":
            context = scaled_loss(factor)
    with tempfile.TemporaryDirectory() as folder, context, \
            contextlib.redirect_stdout(io.StringIO()):
        # compare.py run as its command line runs it (no module imports it),
        # in this process, so that TensorFlow starts once per environment.
        sys.argv = ["compare.py", *argv, "--out", os.path.join(folder, "run")]
        try:
            runpy.run_path(os.path.join(ROOT, "compare.py"), run_name="__main__")
        except SystemExit as done:
            status = done.code
        path = os.path.join(folder, "run", "report.json")
        if not os.path.isfile(path):  # refused: its one line went to stderr
            return {"change": change, "k": k, "row": row, "status": status,
                    "outcome": "refused", "reason": f"compare.py exited {status} without a report"}
        with open(path, encoding="utf-8") as stream:
            report = json.load(stream)
    verdict = report["verdict"]
    return {"change": change, "k": k, "row": row, "status": status,
            "outcome": verdict["outcome"], "reason": (verdict["reasons"] or [""])[0][:300]}


def child(recording: str, flags: list, changes: list, rows: list) -> None:
    """One environment's cases, each result a JSON line on stdout."""
    import logging
    # Each case builds its own model and step functions: TensorFlow's
    # retracing warnings say so about every case.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    def emit(result):
        print("RESULT " + json.dumps(result), flush=True)
    emit(run_case(recording, flags, None, None))
    for change in changes:
        # From the smallest change up to the first caught (the larger ones
        # are caught a fortiori), and the largest, to see that it is.
        largest = FIRST_K.get(change, K_RANGE.start)
        for k in range(K_RANGE.stop - 1, largest - 1, -1):
            result = run_case(recording, flags, change, k)
            emit(result)
            if result["outcome"] == "mismatch":
                break
        if k != largest:
            emit(run_case(recording, flags, change, largest))
    for row in rows:
        emit(run_case(recording, flags, None, None, row))


def make_recording(folder: str) -> None:
    if os.path.isfile(os.path.join(folder, "manifest.json")):
        return
    subprocess.run([sys.executable, "compare.py", "--record", folder, "--epochs", "1",
                    "--steps-per-epoch", "200", "--quiet"], cwd=ROOT, check=True)


def run_environment(name: str, recording: str, changes: list, rows: list) -> list:
    flags, variables, _ = ENVIRONMENTS[name]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **variables)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "tools.judge_sensitivity", "--child", recording,
               "--flags", json.dumps(flags), "--changes", *changes, "--rows", *rows]
    results = []
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) \
            as process:
        for line in process.stdout:
            if line.startswith("RESULT "):
                results.append(json.loads(line[7:]))
                last = results[-1]
                what = f"--perturb {last['row']}" if last.get("row") else \
                    f"{last['change'] or 'unchanged'} k={last['k']}"
                print(f"{name}: {what}: {last['outcome'].upper()}", flush=True)
    if process.returncode:
        raise RuntimeError(f"environment {name} failed (status {process.returncode})")
    return results


def summarise(results: list, changes: list) -> dict:
    """Per change, the largest k caught (the smallest change; None when the
    largest change is not caught either), each --perturb row's verdict, and
    the unchanged run's outcome."""
    smallest = {}
    for change in changes:
        runs = [r for r in results if r["change"] == change]
        caught = [r["k"] for r in runs if r["outcome"] == "mismatch"]
        largest_caught = any(r["outcome"] == "mismatch" for r in runs
                             if r["k"] == min(r["k"] for r in runs))
        smallest[change] = max(caught) if caught and largest_caught else None
    unchanged = next(r for r in results if r["change"] is None and not r.get("row"))
    return {"unchanged": unchanged["outcome"], "false_alarm": unchanged["outcome"] == "mismatch",
            "smallest_k": smallest, "rows": {r["row"]: r["outcome"] for r in results
                                             if r.get("row")}, "runs": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.judge_sensitivity",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments", nargs="+", choices=tuple(ENVIRONMENTS),
                        default=[name for name in ENVIRONMENTS if name != "jax-gpu"],
                        help="default: every one but jax-gpu")
    parser.add_argument("--changes", nargs="*", choices=tuple(CHANGES), default=list(CHANGES),
                        help="the changes to inject (default all; none: only --rows)")
    parser.add_argument("--rows", nargs="*", default=None, metavar="ROW",
                        help="the --perturb rows to run as they are (default all; a run on "
                             "the jax backend refuses those that change TensorFlow's model)")
    parser.add_argument("--recording", default=None, metavar="DIR",
                        help="a 200-step recording made here (default: made in a temporary "
                             "folder)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--flags", default="[]", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.flags), args.changes, args.rows or [])
        return 0
    from parity.perturbations import PERTURBATIONS
    rows = list(PERTURBATIONS) if args.rows is None else args.rows
    unknown = sorted(set(rows) - set(PERTURBATIONS))
    if unknown:
        parser.error(f"--rows {' '.join(unknown)}: no such --perturb row (the rows: "
                     f"{', '.join(PERTURBATIONS)})")
    from benchmarks.report import machine_key
    from tf1kit import files, machine
    from tools import judge_sensitivity_report as report
    with tempfile.TemporaryDirectory() as scratch:
        recording = args.recording or os.path.join(scratch, "recording")
        if any(ENVIRONMENTS[name][2] == "made" for name in args.environments):
            make_recording(recording)
        import importlib.util
        tensorflow = importlib.util.find_spec("tensorflow") is not None
        here = {**machine.fingerprint(tensorflow), "cpu_threads": machine.schedulable_cpus()}
        golden = os.path.join(ROOT, "golden", "sample")
        other = sorted(set(os.listdir(golden)) - {machine.kind_label(here)})
        for name in args.environments:
            source = ENVIRONMENTS[name][2]
            if source == "golden-values":
                member = os.path.join(golden, "amd-epyc-avx512")
                source_folder, label = member, f"{name} (amd-epyc-avx512)"
            elif source == "golden":
                candidates = [entry for entry in other
                              if os.path.isdir(os.path.join(golden, entry))]
                if not candidates:
                    continue
                source_folder = os.path.join(golden, candidates[0])
                label = f"{name} ({candidates[0]})"
            else:
                source_folder, label = recording, name
            environments = {label: summarise(
                run_environment(name, source_folder, args.changes, rows), args.changes)}
            # Written after each environment: an interrupted run keeps what it measured.
            entry = {"machine": here, "date": datetime.datetime.now(datetime.timezone.utc)
                     .strftime("%Y-%m-%d"), "command": " ".join(
                         ["python -m tools.judge_sensitivity", *(argv or sys.argv[1:])]),
                     "changes": {change: CHANGES[change] for change in args.changes},
                     "environments": environments}
            merged = report.write(JSON_PATH, machine_key(here), entry, files)
    print(report.section(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
