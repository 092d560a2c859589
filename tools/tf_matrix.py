"""Same seed, another TensorFlow: which releases reproduce the original bit
for bit, and where the others part.

    python -m tools.tf_matrix                          # every admitted minor, latest patch
    python -m tools.tf_matrix --versions 2.16 2.21     # a subset
    python -m tools.tf_matrix --pythons 3.10 3.12 3.13 --versions 2.21
    python -m tools.tf_matrix --offline                # reuse existing environments only

For each (Python, TensorFlow) pair it makes or reuses a virtual environment
under --venvs (outside the repository), installs that TensorFlow with the
project's other requirements (pip resolves Keras 3, NumPy and the matching
tf-keras), and runs in it, from this checkout: the fast test tier; the
exact comparison on the bundled sample (parity within that version);
`compare.py --against golden/sample` (that version's modern side against
the original recorded on the reference version); a recording of legacy of
that version, compared with the golden (does the 2018 program itself give
the same numbers); and the benchmark's headline ratios. A failed install
or an unresolvable version is a row that says so. The table goes to
docs/tf_matrix.md/.json/.png (tools/tf_matrix_report.py). Not part of CI:
it downloads ~600 MB per TensorFlow release.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools import tf_matrix_report  # noqa: E402

DEFAULT_VENVS = os.path.join(os.path.expanduser("~"), ".cache", "tf-matrix")
COMPLETE = ".tf_matrix_complete"  # written after a successful install only
INSTALL_TIMEOUT_S = 1800
CHECK_TIMEOUT_S = 1200
GOLDEN = os.path.join(ROOT, "golden", "sample")
BENCHMARK_ROUNDS = "3"  # headline ratios only: 3 rounds of one epoch each


def admitted_minors(requirements: str = os.path.join(ROOT, "requirements.txt")) -> list:
    """The TensorFlow minor versions requirements.txt admits, e.g. ['2.16', ..., '2.21']."""
    text = open(requirements, encoding="utf-8").read()
    found = re.search(r"^tensorflow>=(\d+)\.(\d+),<(\d+)\.(\d+)", text, re.M)
    if not found:
        sys.exit("tools.tf_matrix: requirements.txt has no 'tensorflow>=A.B,<C.D' line")
    major, low, _, high = map(int, found.groups())
    return [f"{major}.{minor}" for minor in range(low, high)]


def other_requirements() -> list:
    """requirements.txt without its tensorflow and tf-keras lines."""
    lines = open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8").read().splitlines()
    return [line.split("#")[0].strip() for line in lines
            if line.split("#")[0].strip() and not re.match(r"(tensorflow|tf-keras)\b", line)]


def released(offline: bool, venvs: str) -> list:
    """TensorFlow releases pip can install (final releases only), or, offline,
    those that already have a complete environment."""
    if offline:
        return sorted({name.split("-tf", 1)[1] for name in os.listdir(venvs)
                       if "-tf" in name and os.path.exists(os.path.join(venvs, name, COMPLETE))}
                      if os.path.isdir(venvs) else [])
    listing = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "tensorflow"],
                             capture_output=True, text=True, timeout=120)
    found = re.search(r"Available versions: (.*)", listing.stdout)
    if not found:
        sys.exit(f"tools.tf_matrix: pip could not list TensorFlow releases "
                 f"({(listing.stderr or listing.stdout).strip()[-200:]}); try --offline")
    return [version.strip() for version in found.group(1).split(",")
            if re.fullmatch(r"\d+\.\d+\.\d+", version.strip())]


def pick(requested: list, releases: list) -> list:
    """The latest patch of each requested minor ('2.16') or the exact
    release ('2.16.1'); a request with no release stays, to be reported."""
    def key(version):
        return tuple(int(part) for part in version.split("."))
    chosen = []
    for request in requested:
        matches = [v for v in releases if v == request or v.startswith(request + ".")]
        chosen.append(max(matches, key=key) if matches else request)
    return chosen


def python_for(version: str | None) -> tuple[str, str]:
    """(interpreter path, 'X.Y') for --pythons X.Y (None: this one): the
    first `pythonX.Y` on PATH, or of pyenv's versions, that runs and is
    X.Y (a pyenv shim of a version not selected does not run); '' if none."""
    if version is None:
        return sys.executable, "%d.%d" % sys.version_info[:2]
    candidates = [shutil.which(f"python{version}")] + sorted(glob.glob(os.path.join(
        os.path.expanduser("~"), ".pyenv", "versions", f"{version}.*", "bin",
        f"python{version}")))
    for path in filter(None, candidates):
        probe = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path, version
    return "", version


def run(command: list, timeout: int, cwd: str = ROOT) -> tuple[int, str, float]:
    """(status, stdout+stderr, seconds); status 124 on timeout."""
    started = time.perf_counter()
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "VIRTUAL_ENV", "CI")}
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, env=environment)
        return done.returncode, done.stdout + done.stderr, time.perf_counter() - started
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"").decode(errors="replace") if isinstance(
            error.stdout, bytes) else (error.stdout or "")
        return 124, output + f"\n(timed out after {timeout} s)", time.perf_counter() - started


def ensure_environment(python: str, python_version: str, tensorflow: str, venvs: str,
                       offline: bool, log) -> tuple[str | None, str]:
    """(the environment's python, '') or (None, why not)."""
    folder = os.path.join(venvs, f"py{python_version}-tf{tensorflow}")
    interpreter = os.path.join(folder, "bin", "python")
    if os.path.exists(os.path.join(folder, COMPLETE)):
        return interpreter, ""
    if offline:
        return None, "no environment (--offline)"
    if not python:
        return None, f"no python{python_version} on this machine"
    shutil.rmtree(folder, ignore_errors=True)  # a half-made one from an interrupted run
    log(f"  installing TensorFlow {tensorflow} for Python {python_version} in {folder}")
    status, output, _ = run([python, "-m", "venv", folder], 300)
    minor = ".".join(tensorflow.split(".")[:2])
    if status == 0:
        status, output, seconds = run(
            [interpreter, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             f"tensorflow=={tensorflow}", f"tf-keras~={minor}.0", *other_requirements()],
            INSTALL_TIMEOUT_S)
        log(f"  pip took {seconds:.0f} s")
    if status != 0:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return None, "install failed: " + (lines[-1][:300] if lines else f"status {status}")
    open(os.path.join(folder, COMPLETE), "w").close()
    return interpreter, ""


VERSIONS_SCRIPT = ("import json, platform, numpy, tensorflow, keras\n"
                   "try:\n    import tf_keras; tk = tf_keras.__version__\n"
                   "except Exception as e:\n    tk = 'missing (%s)' % type(e).__name__\n"
                   "print(json.dumps({'python': platform.python_version(), 'tensorflow': "
                   "tensorflow.__version__, 'keras': keras.__version__, 'numpy': "
                   "numpy.__version__, 'tf_keras': tk}))")


def last_json_line(output: str):
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def check(interpreter: str, work: str, log) -> dict:
    """The four checks (and the versions) in one environment."""
    from tools import tf_matrix_checks as checks
    row = {}
    status, output, _ = run([interpreter, "-c", VERSIONS_SCRIPT], 300)
    row["versions"] = last_json_line(output) if status == 0 else {"error": output[-300:]}
    for name, step in (("tests", checks.fast_tier), ("compare", checks.exact_compare),
                       ("modern_golden", checks.modern_against_golden),
                       ("legacy_golden", checks.legacy_against_golden),
                       ("benchmark", checks.benchmark)):
        started = time.perf_counter()
        row[name] = step(interpreter, work, run)
        row[name]["seconds"] = round(time.perf_counter() - started, 1)
        log(f"  {name}: {row[name].get('summary', '')} ({row[name]['seconds']:.0f} s)")
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tf_matrix", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--versions", nargs="+", default=None, metavar="X.Y[.Z]",
                        help="TensorFlow minors (latest patch) or releases (default: every "
                             "minor requirements.txt admits)")
    parser.add_argument("--pythons", nargs="+", default=[None], metavar="X.Y",
                        help="Python versions to run them under (default: this one)")
    parser.add_argument("--venvs", default=DEFAULT_VENVS, help=f"where the environments live "
                        f"(default {DEFAULT_VENVS})")
    parser.add_argument("--offline", action="store_true",
                        help="reuse existing environments only; install nothing")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "tf_matrix"),
                        help="prefix of the .json/.md/.png (default docs/tf_matrix); "
                             "rows are merged with those already there")
    args = parser.parse_args(argv)
    os.makedirs(args.venvs, exist_ok=True)
    versions = pick(args.versions or admitted_minors(), released(args.offline, args.venvs))
    log = lambda line: print(line, flush=True)  # noqa: E731
    started, rows = time.perf_counter(), []
    for python_version in args.pythons:
        python, label = python_for(python_version)
        for tensorflow in versions:
            log(f"Python {label}, TensorFlow {tensorflow}")
            row_started = time.perf_counter()
            row = {"python_requested": label, "tensorflow_requested": tensorflow}
            interpreter, why = ensure_environment(python, label, tensorflow, args.venvs,
                                                  args.offline, log)
            row["install"] = why or "ok"
            if interpreter is not None:
                with tempfile.TemporaryDirectory(prefix="tf-matrix-") as work:
                    row.update(check(interpreter, work, log))
            row["seconds"] = round(time.perf_counter() - row_started, 1)
            rows.append(row)
            tf_matrix_report.write(args.out, rows, venvs=args.venvs)  # after every row
    total = time.perf_counter() - started
    log(f"{len(rows)} rows in {total / 60:.1f} min; environments: "
        f"{tf_matrix_report.disk_usage(args.venvs) / 2**30:.1f} GiB in {args.venvs}")
    log(f"table: {args.out}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
