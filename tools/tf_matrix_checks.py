"""The checks tools/tf_matrix.py runs in each environment. Each takes the
environment's interpreter, a scratch folder and tf_matrix.run, and returns
a JSON-able dict with a one-line `summary`."""

from __future__ import annotations

import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "golden", "sample")
TIMEOUT_S = 1200


def _tail(output: str, lines: int = 3) -> str:
    kept = [line for line in output.strip().splitlines()
            if line.strip() and not re.match(r"^[IWE]\d{4} |WARNING: All log", line)]
    return " | ".join(kept[-lines:])[-400:]


def fast_tier(interpreter: str, work: str, run) -> dict:
    """`pytest -m "not slow"` from this checkout: counts and failed tests."""
    status, output, _ = run([interpreter, "-m", "pytest", "-m", "not slow", "-q",
                             "-p", "no:cacheprovider"], TIMEOUT_S)
    counts = {kind: int(number) for number, kind in
              re.findall(r"(\d+) (passed|failed|skipped|errors?)", output.splitlines()[-1]
                         if output.strip() else "")}
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.M)))
    result = {"status": status, "passed": counts.get("passed", 0),
              "failed": counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0),
              "skipped": counts.get("skipped", 0), "failures": failed[:20]}
    result["summary"] = (f"{result['passed']} passed, {result['failed']} failed"
                         if counts else f"did not run: {_tail(output)}")
    return result


def _report_check(interpreter: str, arguments: list, out: str, run) -> dict:
    """compare.py with `arguments` and --out; its verdict and divergence."""
    status, output, _ = run([interpreter, "compare.py", *arguments, "--quiet", "--out", out],
                            TIMEOUT_S)
    path = os.path.join(out, "report.json")
    if not os.path.exists(path):
        return {"status": status, "outcome": "error", "summary": f"no report: {_tail(output)}"}
    report = json.load(open(path, encoding="utf-8"))
    run0 = report["runs"][0]
    result = {"status": status, "outcome": report["verdict"]["outcome"],
              "first_differing_step": run0["losses"]["first_differing_step"],
              "identical_steps": run0["losses"]["identical_steps"],
              "max_rel_difference": run0["losses"]["max_rel_difference"],
              "codes_max_abs_difference": run0["codes"].get("max_abs_difference")}
    divergence = run0.get("divergence") or {}
    first = divergence.get("first") or {}
    if first:
        result["divergence"] = {
            "step": divergence.get("step"), "born_within": divergence.get("born_within"),
            "kind": first.get("kind"), "tensor": first.get("tensor"),
            "max_ulp_distance": first.get("max_ulp_distance"),
            "elements_differing": first.get("elements_differing"),
            "referee": divergence.get("verdict")}
    summary = result["outcome"].upper()
    if result["first_differing_step"] is not None:
        summary += f" from step {result['first_differing_step']}"
    if first:
        where = divergence.get("born_within") or divergence.get("step")
        summary += (f"; born at step {where}: {first.get('kind')} {first.get('tensor')}"
                    f" ({first.get('max_ulp_distance')} ulp)")
        if divergence.get("verdict"):
            summary += f"; referee: {divergence['verdict']}"
    result["summary"] = summary
    return result


def exact_compare(interpreter: str, work: str, run) -> dict:
    """Within the version: legacy vs modern exact on the sample."""
    return _report_check(interpreter, [], os.path.join(work, "compare"), run)


def modern_against_golden(interpreter: str, work: str, run) -> dict:
    """The version's modern side against the shipped golden recording."""
    return _report_check(interpreter, ["--against", GOLDEN], os.path.join(work, "against"), run)


def legacy_against_golden(interpreter: str, work: str, run) -> dict:
    """Legacy of the version, recorded as the golden was, against it."""
    folder = os.path.join(work, "recording")
    status, output, _ = run([interpreter, "compare.py", "--record", folder, "--trace-values",
                             "none", "--quiet"], TIMEOUT_S)
    if status != 0:
        return {"status": status, "outcome": "error", "summary": f"no recording: {_tail(output)}"}
    import numpy as np

    from parity.golden import changes, recording
    from parity.golden.sets import member_for_this_machine
    golden = member_for_this_machine(GOLDEN).arrays
    _, mine = recording.load(folder)
    old, new = golden[0], mine[0]
    line = changes.seed_change(old, new)
    differs = np.flatnonzero(old["step_losses"].view(np.uint32)
                             != new["step_losses"].view(np.uint32))
    outcome = "match" if line.startswith("unchanged: the same bits") and \
        ", but other" not in line else "differs"
    return {"status": status, "outcome": outcome, "losses_identical": not differs.size,
            "first_differing_step": int(differs[0]) + 1 if differs.size else None,
            "line": line, "summary": f"{outcome.upper()}: {line}"}


def benchmark(interpreter: str, work: str, run) -> dict:
    """The headline steps/s ratios to legacy (interleaved, 3 rounds, sample)."""
    prefix = os.path.join(work, "benchmark")
    status, output, _ = run([interpreter, "-m", "benchmarks", "--rounds", "3", "--out", prefix],
                            TIMEOUT_S)
    if status != 0 or not os.path.exists(prefix + ".json"):
        return {"status": status, "summary": f"did not run: {_tail(output)}"}
    found = json.load(open(prefix + ".json", encoding="utf-8"))
    ratios = found["headline"]["vs_legacy"]
    legacy = found["batches"][0]["paths"]["legacy"]["median"]
    return {"status": status, "vs_legacy": ratios, "legacy_steps_per_second": legacy,
            "summary": ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())}
