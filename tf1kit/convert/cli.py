"""tf1-convert: write the Keras 3 rewrite of an unmodified TF1 script, and
prove it against the script's own trace.

    tf1-convert SCRIPT.py -o REWRITE.py --data-dir DIR [--seed N]
                [--mode exact|idiomatic] [--steps N] [--no-proof]
    tf1-convert --prove REWRITE.py --data-dir DIR

It runs the script under tf1-run for --steps training steps with a trace
(REWRITE.original.npz: its graph with each op's script line, feeds, loss,
optimizer, variables, random ops), writes the rewrite from that
(tf1kit/convert/program.py, emit.py) and the map that pairs the rewrite's
variables and inputs with the script's (REWRITE.map.json, tf1-trace-compare's
--map format), then proves it (tf1kit/convert/prove.py: REWRITE.rewrite.npz,
tf1-trace-compare's verdict): exit 0 (MATCH or ROUNDING), 1 (MISMATCH), 2
(refused: one line per op or optimizer it cannot write, nothing written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


from tf1kit import cli, files
from tf1kit.convert import prove, rewrite
from tf1kit.convert.expressions import Unsupported
from tf1kit.data import mnist
from tf1kit.errors import DataError

# The folder that holds the tf1kit package: tf1-run's process finds the kit
# there whether it is installed or run from a checkout.
KIT_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    parser = cli.ArgumentParser(
        prog=cli.program_name("tf1-convert", "python -m tf1kit.convert"),
        description="Write the Keras 3 rewrite of an unmodified TF1 script and prove it "
                    "against the script's trace.")
    parser.add_argument("script", nargs="?", help="the TF1 script")
    parser.add_argument("-o", "--output", metavar="REWRITE.py", help="the rewrite to write")
    parser.add_argument("--prove", metavar="REWRITE.py",
                        help="prove a rewrite tf1-convert wrote against the trace and map "
                             "beside it (REWRITE.original.npz, REWRITE.map.json), and stop")
    parser.add_argument("--data-dir", required=True, metavar="DIR",
                        help="the MNIST folder (the four IDX .gz files) the script reads")
    parser.add_argument("--validation-size", type=cli.non_negative_int, default=None,
                        metavar="N",
                        help="tf1-run's --validation-size: the training images "
                             "read_data_sets keeps aside (the bundled sample needs fewer than "
                             "TF1's 5,000)")
    parser.add_argument("--seed", type=cli.seed_int, default=0,
                        help="tf1-run's seed for an unseeded script (default 0)")
    parser.add_argument("--mode", choices=("exact", "idiomatic"), default="exact",
                        help="exact: TF1's arithmetic where stock Keras differs (default); "
                             "idiomatic: stock Keras throughout")
    parser.add_argument("--steps", type=cli.positive_int, default=100,
                        help="training steps traced and proven (default 100)")
    parser.add_argument("--no-proof", action="store_true",
                        help="write the rewrite and stop (no proof run)")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines (hidden by default)")
    args = parser.parse_args(argv)
    cli.quiet_tensorflow_logs()  # before tf1-run's process and the proof load TensorFlow
    problem = _check(args)
    if problem:
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return 2
    if args.prove:
        return cli.run_main(lambda _argv: _prove(args.prove, args.data_dir), parser.prog, [])
    base = os.path.splitext(os.path.abspath(args.output))[0]
    original, pairing = f"{base}.original.npz", f"{base}.map.json"
    print(f"[tf1-convert] tracing {args.script} for {args.steps} training steps (tf1-run)",
          flush=True)
    traced = trace(args.script, args.data_dir, original, args.steps, args.seed,
                   args.validation_size)
    if traced != 0:
        _remove(original)
        print(f"{parser.prog}: error: tf1-run could not trace {args.script} (exit {traced})",
              file=sys.stderr)
        return 2
    try:
        text, mapping = write(args.script, original, args.data_dir, args.mode,
                              os.path.basename(args.output))
    except (Unsupported, DataError) as error:  # nothing written, the trace removed
        _remove(original)
        for line in error.lines() if isinstance(error, Unsupported) else [str(error)]:
            print(f"{parser.prog}: cannot convert {args.script}: {line}", file=sys.stderr)
        return 2
    for path, content in ((pairing, json.dumps(mapping, indent=1) + "\n"),
                          (args.output, text)):
        with files.atomic_path(path) as temporary:
            with open(temporary, "w") as handle:
                handle.write(content)
    print(f"[tf1-convert] wrote {args.output} ({args.mode} mode) and {pairing}", flush=True)
    if args.no_proof:
        return 0
    print(f"[tf1-convert] proving it: {args.steps} steps against {original}", flush=True)
    return cli.run_main(lambda _argv: _prove(args.output, args.data_dir), parser.prog, [])


def trace(script: str, data_dir: str, path: str, steps: int, seed: int,
          validation_size: int | None = None) -> int:
    """tf1-run's trace of the script's first `steps` training steps to
    `path`, in a process of its own; its exit status."""
    split = [] if validation_size is None else ["--validation-size", str(validation_size)]
    return _run([sys.executable, "-m", "tf1kit.run", "--seed", str(seed), "--data-dir",
                 data_dir, *split, "--trace", path, "--max-steps", str(steps), script])


def _prove(rewrite: str, data_dir: str) -> int:
    base = os.path.splitext(os.path.abspath(rewrite))[0]
    return prove.prove(rewrite, f"{base}.original.npz", data_dir, f"{base}.map.json",
                       f"{base}.rewrite.npz")


def write(script: str, trace_path: str, data_dir: str, mode: str, output: str) -> tuple:
    """The rewrite's source for a traced script, and the map that pairs its
    variables and inputs with the script's; raises Unsupported or DataError."""
    with open(script) as handle:
        source = handle.read()
    return rewrite.render(rewrite.record(trace_path, data_dir), source, script, mode, output)


def _check(args) -> str | None:
    if args.prove:
        if args.script or args.output:
            return "--prove takes the rewrite alone (no SCRIPT.py, no -o)"
        if not os.path.isfile(args.prove):
            return f"--prove {args.prove}: no such file"
        base = os.path.splitext(args.prove)[0]
        for path in (f"{base}.original.npz", f"{base}.map.json"):
            if not os.path.isfile(path):
                return (f"--prove {args.prove}: no {path} beside it (tf1-convert writes the "
                        "trace and the map with the rewrite)")
    elif args.script is None:
        return "give the TF1 script to convert (or --prove REWRITE.py)"
    elif args.output is None:
        return "-o REWRITE.py: where to write the rewrite"
    elif not os.path.isfile(args.script):
        return f"script not found: {args.script}"
    elif not args.output.endswith(".py"):
        return f"-o {args.output}: the rewrite's name must end in .py"
    elif not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        return f"-o {args.output}: its folder does not exist"
    if not all(os.path.isfile(os.path.join(args.data_dir, name)) for name in mnist.IDX_FILES):
        return (f"--data-dir {args.data_dir}: no MNIST there (the four IDX .gz files "
                "train-images-idx3-ubyte.gz ...)")
    return None


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)


def _run(command: list) -> int:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [KIT_PARENT, environment.get("PYTHONPATH")]))
    return subprocess.run(command, env=environment).returncode


def console() -> int:
    """The command: TensorFlow's start-up lines hidden (tf1kit/quiet.py)
    unless --verbose."""
    from tf1kit import quiet
    return quiet.command(main)


if __name__ == "__main__":
    sys.exit(console())
