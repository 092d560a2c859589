"""The proof of a rewrite written by tf1-convert: `tf1-convert --prove
REWRITE.py` imports the rewrite's model, optimizer, training step, data and
feeds, trains it on the trace's batches from the trace's starting weights
and random draws, records every step and runs tf1-trace-compare.

What it imports from a rewrite (the names tf1-convert writes):
- the one `keras.Model` subclass the file defines, built with no arguments
- `make_optimizer()`, `make_train_step(model, optimizer)`; for several
  optimizers taking turns `make_optimizers()`, `make_train_steps(model,
  optimizers)` and each one's feeds function, which the map names
- `read_mnist(data_dir)`: (training images, labels) as the script read them
- for a call the script followed by a weight clip, the function the map
  names ("then"), called with the model after that call
- `feeds(images, labels, indices[, rng])`: the training step's keyword
  arguments (with `rng`: the arrays the script drew with NumPy, which the
  proof replaces by the values the trace kept of each step)
The pairing of its variables and inputs with the script's is the map file
tf1-convert writes beside it (tf1-trace-compare's --map format)."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import traceback

import numpy as np

from tf1kit.data import keras_arrays, mnist
from tf1kit.data.mnist import VALIDATION_SIZE
from tf1kit.errors import DataError


def training_split(data_dir: str, validation_size: int = VALIDATION_SIZE,
                   source: dict | None = None) -> tuple:
    """(images, digits) of the training split TF1's read_data_sets made
    (`validation_size` images kept aside), flattened and scaled as it
    scaled them, or, for a `source` of keras.datasets arrays (the trace's
    "train_source"), all of them scaled and shaped as the script fed them:
    what a script's feeds are matched against."""
    raw = mnist.read_idx_folder(data_dir)
    if source is not None:
        return (keras_arrays.scaled(raw["train_images"], source["scaling"], source["shape"]),
                raw["train_labels"])
    return (mnist.scale_pixels(raw["train_images"][validation_size:]),
            raw["train_labels"][validation_size:])


def load_rewrite(path: str):
    """The rewrite as a module (not run as a script)."""
    if not os.path.isfile(path):
        raise DataError(f"--prove {path}: no such file")
    spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(path))[0], os.path.abspath(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    several = callable(getattr(module, "make_optimizers", None))  # a GAN's, taking turns
    missing = [name for name in ("read_mnist", *(("make_optimizers",) if several else
                                                 ("make_optimizer", "make_train_step", "feeds")))
               if not callable(getattr(module, name, None))]
    if several and not callable(getattr(module, "make_train_steps",
                                        getattr(module, "make_train_step", None))):
        missing.append("make_train_steps")
    if missing:
        raise DataError(f"--prove {path}: not a rewrite tf1-convert wrote (it defines no "
                        f"{missing[0]})")
    return module


def _model_class(module, path: str):
    import keras
    found = [value for value in vars(module).values() if isinstance(value, type)
             and issubclass(value, keras.Model) and value.__module__ == module.__name__]
    if len(found) != 1:
        raise DataError(f"--prove {path}: expected one keras.Model class, found {len(found)}")
    return found[0]


def read_pairing(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as stream:
            pairing = json.load(stream)
        pairing["variables"], pairing["inputs"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"{path}: not a map tf1-convert wrote ({error})") from None
    return pairing


# A tag the rewrite carries back to the script: `# script.py:12  text`.
TAG = re.compile(r"^\s*# (\S+\.py:\d+)  (.*)$")


def failure(error: BaseException, rewrite_path: str, stage: str) -> str:
    """The one line a rewrite that fails to build or run gets: the stage,
    the rewrite's line, the script line tagged above it, and the error
    (what Keras or a tf.function wrapped around it taken off)."""
    rewrite = os.path.abspath(rewrite_path)
    numbers = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
               if os.path.abspath(frame.filename) == rewrite]
    text = str(error).strip()
    numbers += [int(number) for path, number in re.findall(r'File "([^"]+)", line (\d+)', text)
                if os.path.abspath(path) == rewrite]  # a tf.function's frames, in its text
    where = ""
    if numbers:
        number = numbers[-1]
        with open(rewrite, encoding="utf-8") as stream:
            lines = stream.read().splitlines()
        tag = next(filter(None, map(TAG.match, reversed(lines[:number - 1]))), None)
        where = f" at {os.path.basename(rewrite_path)}:{number} `{lines[number - 1].strip()}`"
        if tag:
            where += f" (for {tag.group(1)} `{tag.group(2)[:80]}`)"
    text = re.sub(r"\x1b\[[0-9;]*m|\{\{function_node [^}]*\}\}\s*", "", text)  # Keras's dress
    parts = [line.strip() for line in text.splitlines() if line.strip()]
    parts = [line for line in parts if not line.startswith(("Arguments received", "•"))]
    calling = "Exception encountered when calling"  # Keras's wrapping: the message follows
    if parts and parts[0].startswith("in user code:"):  # a tf.function's: the error last
        last = parts[-1]
        if len(parts) > 1 and calling in parts[-2]:
            last = f"{parts[-2].split(':', 1)[0]}: {last}"
        return f"FAILED: the rewrite {stage}{where}: {last[:300]}"
    if parts and parts[0].startswith(calling):
        parts = parts[1:] or parts
    message = parts[0] if parts else ""
    return f"FAILED: the rewrite {stage}{where}: {type(error).__name__}: {message[:300]}"


def prove(rewrite_path: str, against: str, data_dir: str, map_path: str, out: str) -> int:
    """Train the rewrite on the trace's batches from its starting weights
    and draws, record every step to `out`, print tf1-trace-compare's
    verdict and return its exit status; a rewrite that fails to load,
    build or train is one FAILED line naming where (status 1)."""
    stage = "does not load"
    try:
        return _prove(rewrite_path, against, data_dir, map_path, out)
    except DataError:
        raise
    except Exception as error:  # the rewrite's own failure: one line, no traceback
        stage = getattr(error, "_tf1kit_stage", stage)
        print(failure(error, rewrite_path, stage), flush=True)
        return 1


def _staged(stage: str, function, *args, **kwargs):
    """`function(...)`, its exception marked with the proof's stage."""
    try:
        return function(*args, **kwargs)
    except DataError:
        raise
    except Exception as error:
        error._tf1kit_stage = stage
        raise


def _prove(rewrite_path: str, against: str, data_dir: str, map_path: str, out: str) -> int:
    from tf1kit.compare import cli as trace_compare
    from tf1kit.compare import diff
    from tf1kit.keras.random_ops import TF1RandomOp, draw_key
    from tf1kit.keras.recorder import StepRecorder
    from tf1kit.trace import tracefile

    recorded = tracefile.load(against)
    pairing = read_pairing(map_path)
    order = recorded.batch_order("train")
    if order is None or not recorded.steps:
        raise DataError(f"{against}: the trace holds no training steps with their batches "
                        "(tf1-run --trace while the script trains)")
    several = pairing.get("calls")  # a GAN's optimizers, taking turns or in one call
    module = _staged("does not load", load_rewrite, rewrite_path)
    model = _staged("does not build", _model_class(module, rewrite_path))
    if several:
        optimizer = _staged("does not build", module.make_optimizers)
        train_steps = _staged("does not build", module.make_train_steps, model, optimizer) \
            if len(several) > 1 else [_staged("does not build", module.make_train_step, model,
                                              optimizer)]  # one call that runs them all
        feeds = [getattr(module, entry["feeds"]) for entry in several]
        calls = [tuple(entry["optimizers"]) for entry in several]
        losses = [entry["loss"] for entry in pairing["optimizers"]]
    else:
        optimizer = _staged("does not build", module.make_optimizer)
        train_steps = [_staged("does not build", module.make_train_step, model, optimizer)]
        feeds, calls, losses = [module.feeds], [(0,)], ["loss"]
    ran = recorded.step_optimizers() if several else [(0,)] * len(recorded.steps)
    taken = [calls.index(each) if each in calls else None for each in ran]
    if None in taken:
        raise DataError(f"{against}: training step {taken.index(None) + 1} runs optimizers "
                        f"{ran[taken.index(None)]}, a call the map does not name")
    images, labels = _staged("does not read the data", module.read_mnist, data_dir)
    draws = {pairing["inputs"][tensor]: tensor for tensor in recorded.drawn_feeds()
             if tensor in pairing["inputs"]}
    batches = iter(order)

    def fed_at(step: int) -> dict:
        """Training step `step`'s feeds: its optimizer's `feeds` given the
        step's traced batch where it takes one (the next one served, in a
        trace that does not say); the draws, the trace's."""
        function = feeds[taken[step - 1]]
        wanted = inspect.signature(function).parameters
        given = {"images": images, "labels": labels, "rng": np.random.default_rng(0),
                 "previous_feeds": last_fed}
        if "indices" in wanted:
            traced = recorded.steps[step - 1].get("batch")  # a batch the script skipped aside
            given["indices"] = order[traced] if traced is not None and traced < len(order) \
                else next(batches, None)
            if given["indices"] is None:
                raise DataError(f"{against}: no traced batch for training step {step}")
        fed = function(**{name: value for name, value in given.items() if name in wanted})
        for argument, tensor in draws.items():
            if argument in fed and fed[argument] is not last_fed.get(argument):  # (fed again)
                value = recorded.step_value(step, "drawn", tensor)
                if value is None:
                    raise DataError(f"{against}: no value of {tensor}, which the script "
                                    f"drew, at step {step}")
                fed[argument] = value
        return fed

    last_fed = {}  # the step before's feeds: a call may be fed them again
    fed = fed_at(1)
    wanted = [name for name in inspect.signature(model.call).parameters if name in fed]
    _staged("does not build", model, *[fed[name] for name in wanted])  # builds the layers
    by_path = {variable.path: variable for variable in model.variables}
    for original, path in pairing["variables"].items():
        if path not in by_path:
            raise DataError(f"{map_path}: the rewrite has no variable {path} (it has "
                            f"{', '.join(list(by_path)[:6])})")
        if original not in (recorded.variables or {}):
            raise DataError(f"{map_path}: the trace {against} holds no starting value of "
                            f"{original}")
        value = recorded.variables[original]
        shape = tuple(int(size) for size in by_path[path].shape)
        if shape != value.shape and int(np.prod(shape)) == value.size:
            # a [1, n] bias the stock layer holds as [n] (idiomatic)
            value = value.reshape(shape)
        _staged(f"does not take {original}'s starting value", by_path[path].assign, value)
    streams = [layer for layer in model._flatten_layers(include_self=False)  # (a cell's too)
               if isinstance(layer, TF1RandomOp)]
    var_lists = [[by_path[pairing["variables"][name]] for name in entry["variables"]]
                 for entry in recorded.manifest["optimizers"]] if several else None
    recorder = StepRecorder(model, optimizer, var_lists=var_lists)
    kept = {}  # the feeds of each step whose values the trace keeps (the referee's)
    steps = len(recorded.steps)
    report = max(1, steps // 10)
    for step in range(1, steps + 1):
        for layer in streams:  # where the script's stream stood (evaluations draw too)
            layer.position.assign(recorded.random_position(layer.op_name, step))
        if step > 1:
            last_fed = fed
            fed = fed_at(step)
        call = taken[step - 1]
        if recorded.steps[step - 1].get("values"):
            kept[step] = fed
        loss = _staged(f"fails at training step {step}", train_steps[call], **fed)
        recorder.record(loss, calls[call], [losses[index] for index in calls[call]],
                        **{name: np.asarray(value) for name, value in fed.items()})
        if several and several[call].get("then"):  # a weight clip after the call
            _staged(f"fails at the weight clip after training step {step}",
                    getattr(module, several[call]["then"]), model)
            recorder.weights_written()
        if step % report == 0 or step == steps:
            said = ", ".join(f"{float(value):.6f}" for value in np.atleast_1d(loss))
            print(f"[proof] step {step}/{steps}: loss {said}", flush=True)
    recorder.write(out)
    rewritten = tracefile.load(out)
    finding = diff.compare(recorded, rewritten, pairing)  # tf1-trace-compare's, with the map
    status = trace_compare.report(recorded, rewritten, finding)
    if status == 1 and pairing.get("forward"):
        line = _referee(module, _model_class(module, rewrite_path), pairing,
                        (recorded, rewritten, finding),
                        (kept, [draw_key(layer, seed2) for layer in streams
                                for seed2 in layer.step_seeds]))
        if line:
            print(line, flush=True)
    return status


def _referee(module, model_class, pairing: dict, compared: tuple, saved: tuple) -> str | None:
    """The referee's line (tf1kit/convert/referee.py) where the first
    difference is a gradient at a step whose feeds, starting weights and
    draws the trace keeps (`compared`: the two traces and their finding;
    `saved`: ({step: its feeds}, the names the rewrite's draws are kept
    under: random_ops.draw_key)), else None."""
    from tf1kit.convert import referee

    recorded, rewritten, finding = compared
    kept, random_ops = saved
    if finding.birth != "gradient" or finding.step not in kept:
        return None
    step = finding.step
    ours, theirs = recorded.steps[step - 1]["digests"], rewritten.steps[step - 1]["digests"]
    renamed = {f"gradient {name}": f"gradient {path}"
               for name, path in pairing["variables"].items()}
    first = next(key for key, value in ours.items()  # the verdict's: in the original's order
                 if key in renamed and theirs.get(renamed[key]) not in (None, value))
    first = first.partition(" ")[2]
    path = pairing["variables"][first]
    weights = {pairing["variables"][name]: recorded.step_value(step, "initial", name)
               for name in pairing["variables"]}
    original = {key: name for name, key in (pairing.get("random") or {}).items()}
    draws = {key: recorded.step_value(step, "random", original.get(key, key))
             for key in random_ops}
    if any(value is None for value in [*weights.values(), *draws.values()]):
        return None
    optimizers = recorded.manifest["optimizers"]
    ran = recorded.step_optimizers()[step - 1] if pairing.get("calls") else (0,)
    index = next((each for each in ran if first in (optimizers[each].get("variables")
                                                    or pairing["variables"])), ran[0])
    try:
        exact = referee.float64_gradients(module, model_class, pairing["forward"][index],
                                          (weights, draws), kept[step], [path])[path]
    except Exception as error:  # the float64 pass is the referee's, not the proof's
        return f"referee: not run ({type(error).__name__}: {str(error)[:120]})"
    return referee.verdict(f"{first} <-> {path}", recorded.step_value(step, "gradient", first),
                           rewritten.step_value(step, "gradient", path), exact)
