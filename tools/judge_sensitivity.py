"""The smallest real change the judge catches, measured: small changes
injected into the modern side, each scaled by 1 + 10^-k for k = 1..7, run
`compare.py --against` a recording in every environment this machine can
produce, plus an unchanged run in each (a MISMATCH there is a false alarm).

    python -m tools.judge_sensitivity                 # ~25 min on 2 cores
    python -m tools.judge_sensitivity --environments same onednn-off --changes learning-rate

The recording (200 steps of the bundled sample, values kept at steps 1-3)
is made here with the machine's defaults unless --recording names one.
Environments: the recording's own; another intra-op thread count; oneDNN
off; the JAX backend; and the golden recorded on another CPU kind
(golden/sample/). Each environment runs in a process of its own (oneDNN
and thread counts are fixed when TensorFlow starts), the cases in it one
after another through compare.py's own entry point, the change injected
as a --perturb row made for the case. For each change k runs from 1 up
and stops at the first change not caught. Results: docs/judge_sensitivity.json
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
    "weight-element": "one initial weight element (encoder_h1[0, 0])",
    "bias-element": "one initial bias element (decoder_b4[0])",
    "loss-scale": "the loss (its reduction's scale)",
}
HYPERPARAMETERS = {"learning-rate": "learning_rate", "beta1": "adam_beta1",
                   "beta2": "adam_beta2", "epsilon": "adam_epsilon"}
# name: (compare.py flags, environment variables, recording: "made" or a folder)
ENVIRONMENTS = {
    "same": ([], {}, "made"),
    "intra-op-4": (["--intra-op-threads", "4"], {}, "made"),
    "onednn-off": ([], {"TF_ENABLE_ONEDNN_OPTS": "0"}, "made"),
    "jax": (["--backend", "jax"], {}, "made"),
    "other-cpu-kind": ([], {}, "golden"),
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
            else:
                changed[name].reshape(-1)[0] = np.float32(changed[name].reshape(-1)[0] * factor)
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


def run_case(recording: str, flags: list, change: str | None, k: int | None) -> dict:
    """One compare.py --against in this process: the verdict and its first reason."""
    import contextlib
    import io
    import runpy

    from parity import perturbations
    argv = ["--against", recording, "--quiet", *flags]
    context = contextlib.nullcontext()
    if change is not None:
        factor = 1 + 10.0 ** -k
        row = perturbation(change, factor)
        perturbations.PERTURBATIONS[row.name] = row
        argv += ["--perturb", row.name]
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
        with open(os.path.join(folder, "run", "report.json"), encoding="utf-8") as stream:
            report = json.load(stream)
    verdict = report["verdict"]
    return {"change": change, "k": k, "status": status, "outcome": verdict["outcome"],
            "reason": (verdict["reasons"] or [""])[0][:300]}


def child(recording: str, flags: list, changes: list) -> None:
    """One environment's cases, each result a JSON line on stdout."""
    def emit(result):
        print("RESULT " + json.dumps(result), flush=True)
    emit(run_case(recording, flags, None, None))
    for change in changes:
        for k in K_RANGE:
            result = run_case(recording, flags, change, k)
            emit(result)
            if result["outcome"] != "mismatch":
                break


def make_recording(folder: str) -> None:
    if os.path.isfile(os.path.join(folder, "manifest.json")):
        return
    subprocess.run([sys.executable, "compare.py", "--record", folder, "--epochs", "1",
                    "--steps-per-epoch", "200", "--quiet"], cwd=ROOT, check=True)


def run_environment(name: str, recording: str, changes: list) -> list:
    flags, variables, _ = ENVIRONMENTS[name]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **variables)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "tools.judge_sensitivity", "--child", recording,
               "--flags", json.dumps(flags), "--changes", *changes]
    results = []
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) \
            as process:
        for line in process.stdout:
            if line.startswith("RESULT "):
                results.append(json.loads(line[7:]))
                last = results[-1]
                print(f"{name}: {last['change'] or 'unchanged'} k={last['k']}: "
                      f"{last['outcome'].upper()}", flush=True)
    if process.returncode:
        raise RuntimeError(f"environment {name} failed (status {process.returncode})")
    return results


def summarise(results: list, changes: list) -> dict:
    """Per change, the largest k caught (the smallest change), and the
    unchanged run's outcome."""
    smallest = {}
    for change in changes:
        caught = [r["k"] for r in results if r["change"] == change and r["outcome"] == "mismatch"]
        smallest[change] = max(caught) if caught else None
    unchanged = next(r for r in results if r["change"] is None)
    return {"unchanged": unchanged["outcome"], "false_alarm": unchanged["outcome"] == "mismatch",
            "smallest_k": smallest, "runs": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.judge_sensitivity",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments", nargs="+", choices=tuple(ENVIRONMENTS),
                        default=list(ENVIRONMENTS))
    parser.add_argument("--changes", nargs="+", choices=tuple(CHANGES), default=list(CHANGES))
    parser.add_argument("--recording", default=None, metavar="DIR",
                        help="a 200-step recording made here (default: made in a temporary "
                             "folder)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--flags", default="[]", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, json.loads(args.flags), args.changes)
        return 0
    from benchmarks.report import machine_key
    from common import files, machine
    from tools import judge_sensitivity_report as report
    with tempfile.TemporaryDirectory() as scratch:
        recording = args.recording or os.path.join(scratch, "recording")
        make_recording(recording)
        here = {**machine.fingerprint(), "cpu_threads": machine.schedulable_cpus()}
        golden = os.path.join(ROOT, "golden", "sample")
        other = sorted(set(os.listdir(golden)) - {machine.kind_label(here)})
        environments = {}
        for name in args.environments:
            source = ENVIRONMENTS[name][2]
            if source == "golden":
                candidates = [entry for entry in other
                              if os.path.isdir(os.path.join(golden, entry))]
                if not candidates:
                    continue
                source_folder = os.path.join(golden, candidates[0])
                label = f"{name} ({candidates[0]})"
            else:
                source_folder, label = recording, name
            environments[label] = summarise(
                run_environment(name, source_folder, args.changes), args.changes)
    entry = {"machine": here, "date": datetime.datetime.now(datetime.timezone.utc)
             .strftime("%Y-%m-%d"), "command": " ".join(["python -m tools.judge_sensitivity",
                                                          *(argv or sys.argv[1:])]),
             "changes": {change: CHANGES[change] for change in args.changes},
             "environments": environments}
    report.write(JSON_PATH, machine_key(here), entry, files)
    print(report.section(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
