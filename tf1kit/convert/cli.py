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

import numpy as np

from tf1kit import cli, files
from tf1kit.convert import emit, program, prove, source_facts
from tf1kit.convert.expressions import Unsupported
from tf1kit.convert.graph import Graph
from tf1kit.data import mnist
from tf1kit.errors import DataError
from tf1kit.trace import tracefile

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
    parser.add_argument("--seed", type=cli.seed_int, default=0,
                        help="tf1-run's seed for an unseeded script (default 0)")
    parser.add_argument("--mode", choices=("exact", "idiomatic"), default="exact",
                        help="exact: TF1's arithmetic where stock Keras differs (default); "
                             "idiomatic: stock Keras throughout")
    parser.add_argument("--steps", type=cli.positive_int, default=100,
                        help="training steps traced and proven (default 100)")
    parser.add_argument("--no-proof", action="store_true",
                        help="write the rewrite and stop (no proof run)")
    args = parser.parse_args(argv)
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
    traced = _run([sys.executable, "-m", "tf1kit.run", "--seed", str(args.seed),
                   "--data-dir", args.data_dir, "--trace", original, "--max-steps",
                   str(args.steps), args.script])
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


def _prove(rewrite: str, data_dir: str) -> int:
    base = os.path.splitext(os.path.abspath(rewrite))[0]
    return prove.prove(rewrite, f"{base}.original.npz", data_dir, f"{base}.map.json",
                       f"{base}.rewrite.npz")


def write(script: str, trace_path: str, data_dir: str, mode: str, output: str) -> tuple:
    """The rewrite's source for a traced script, and the map that pairs its
    variables and inputs with the script's; raises Unsupported or DataError."""
    recorded = tracefile.load(trace_path)
    manifest = recorded.manifest
    if not recorded.steps or not manifest.get("forward_graph") or not manifest["optimizers"]:
        raise DataError("the trace holds no training step with its graph (does the script "
                        "train through a tf.train optimizer?)")
    if len(manifest["optimizers"]) > 1:
        raise DataError(f"the script trains through {len(manifest['optimizers'])} optimizers "
                        f"({', '.join(entry['class'] for entry in manifest['optimizers'])}): "
                        "tf1-convert writes one, yet")
    with open(script) as handle:
        source = handle.read()
    graph = Graph(manifest["forward_graph"], source)
    exact = mode == "exact"
    built = program.build(graph, manifest, script, exact)
    facts = source_facts.SourceFacts(source, os.path.basename(script))
    order = recorded.batch_order("train")
    if order is None:
        raise DataError("the script's batches were not traced (it does not read MNIST "
                        "through read_data_sets' next_batch)")
    roles, one_hot = _roles(recorded, built.placeholders, order[0], data_dir)
    used = set(built.inputs.values()) | set(built.loss_arguments)
    constants = {name: role for name, role in roles.items() if not isinstance(role, str)}
    feeds = {name: (role if isinstance(role, str) else name.upper())
             for name, role in roles.items() if name in used}
    optimizer = {**manifest["optimizers"][0], "line": facts.optimizer_tag()}
    setting = emit.Setting(os.path.basename(script), output, mode, int(order.shape[1]),
                           facts.loop(len(recorded.steps)), optimizer, facts.data_tag(),
                           one_hot, feeds, constants)
    mapping = {"variables": {variable: f"{built.model_name}/{layer.name}/{part}"
                             for layer in built.layers
                             for part, variable in layer.variables.items()},
               "inputs": {tensor: built.placeholders[tensor] for tensor in _fed(recorded)
                          if built.placeholders.get(tensor) in feeds}}
    return emit.source(built, setting), mapping


def _fed(recorded) -> list:
    return [key.partition(" ")[2] for key in recorded.steps[0]["digests"]
            if key.startswith("input ")]


def _roles(recorded, placeholders: dict, indices, data_dir: str) -> tuple:
    """Each fed placeholder's role in the first training call: "images",
    "labels" (and whether one-hot) or the number fed; refused otherwise."""
    images, digits = prove.training_split(data_dir)
    roles, one_hot = {}, True
    for tensor in _fed(recorded):
        name = placeholders.get(tensor, tensor)
        value = recorded.step_value(1, "input", tensor)
        if value is None:
            raise DataError(f"the trace kept no value of {tensor} at step 1")
        if value.ndim == 0:
            roles[name] = float(value) if value.dtype.kind == "f" else int(value)
        elif value.shape == images[indices].shape and np.array_equal(value, images[indices]):
            roles[name] = "images"
        elif np.array_equal(value, np.eye(10, dtype=value.dtype)[digits[indices]]):
            roles[name] = "labels"
        elif np.array_equal(value, digits[indices]):
            roles[name], one_hot = "labels", False
        else:
            raise DataError(f"the script feeds {name} ({tensor}) an array tf1-convert cannot "
                            "trace to MNIST's training images or labels")
    return roles, one_hot


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


if __name__ == "__main__":
    sys.exit(main())
