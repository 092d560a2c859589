"""A traced script's rewrite in two stages: `record` reads what the rewrite
needs from the trace and the data (the training step's graph, optimizer
and random ops, each fed placeholder's role, the batch size); `render`
writes the source and the map from that record and the script's source,
with no TensorFlow and no data, so a stored record renders the same text
anywhere (examples/generated/, its snapshot test)."""

from __future__ import annotations

import os

import numpy as np

from tf1kit.convert import emit, program, prove, source_facts
from tf1kit.convert.graph import Graph, fed_as_inputs
from tf1kit.data.mnist import VALIDATION_SIZE
from tf1kit.errors import DataError
from tf1kit.trace import tracefile

# What a record keeps of the trace's manifest.
MANIFEST_KEYS = ("forward_graph", "optimizers", "random_ops", "loss_calls", "fed_draws")


def record(trace_path: str, data_dir: str) -> dict:
    """The record of a trace: its manifest's graph, optimizers and random
    ops, the placeholders fed in the training calls (in order; "feeds_by_optimizer":
    each optimizer's first call's), each one's role ("images", "labels",
    "drawn" for an array the script drew with NumPy, or the number fed;
    None where the script's batches were not traced), whether labels are
    one-hot, the batch size, the steps traced and, for several optimizers,
    the order their calls take turns in ("cycle")."""
    recorded = tracefile.load(trace_path)
    manifest = recorded.manifest
    if not recorded.steps or not manifest.get("forward_graph") or not manifest["optimizers"]:
        raise DataError("the trace holds no training step with its graph (does the script "
                        "train through a tf.train optimizer?)")
    taken = recorded.step_optimizers()
    cycle = _cycle(taken, len(manifest["optimizers"]))
    firsts = {}  # optimizer -> (its first step, the tensors that step fed)
    for number, (step, index) in enumerate(zip(recorded.steps, taken), start=1):
        firsts.setdefault(index, (number, [key.partition(" ")[2] for key in step["digests"]
                                           if key.startswith("input ")]))
    fed = list(dict.fromkeys(tensor for index in sorted(firsts) for tensor in firsts[index][1]))
    order = recorded.batch_order("train")
    source = manifest.get("train_source")  # keras.datasets arrays, or read_data_sets
    validation_size = manifest.get("validation_size")
    validation_size = 0 if source else \
        VALIDATION_SIZE if validation_size is None else validation_size
    roles, one_hot, images_shape = \
        _roles(recorded, [firsts[index] for index in sorted(firsts)], order[0], data_dir,
               validation_size, source, {tensor for by_op in (manifest.get("fed_draws") or
                                                              {}).values() for tensor in by_op}) \
        if order is not None else (None, True, None)
    return {"manifest": {key: manifest.get(key) for key in MANIFEST_KEYS}, "fed": fed,
            "feeds_by_optimizer": [firsts[index][1] for index in sorted(firsts)],
            "roles": roles, "one_hot": one_hot, "images_shape": images_shape,
            "batch_size": None if order is None else int(order.shape[1]),
            "validation_size": validation_size, "train_source": source,
            "in_order": order is not None and in_order(order),
            "traced_steps": len(recorded.steps), "cycle": cycle}


def _cycle(taken: list, count: int) -> list | None:
    """The order several optimizers' training calls take turns in (a GAN's
    [0, 1]: the discriminator's call, then the generator's), the steps
    traced being that order repeated; None for one optimizer."""
    if count == 1:
        return None
    if None in taken:
        raise DataError(f"training step {taken.index(None) + 1} runs none or several of the "
                        "script's optimizers' train ops: tf1-convert writes one per call")
    for length in range(count, len(taken) + 1):
        if sorted(set(taken[:length])) == list(range(count)) and \
                all(index == taken[step % length] for step, index in enumerate(taken)):
            if taken[0] != 0:
                break
            return taken[:length]
    raise DataError(f"the script's {count} optimizers do not take turns in an order that "
                    "repeats from its first training call, the first optimizer first "
                    f"(traced: {taken[:12]}): tf1-convert writes a fixed round, yet")


def in_order(order) -> bool:
    """Whether the batches are the training examples in their order, cut
    one after the other (a script slicing `mnist.train.images` itself, no
    shuffle), each pass starting again at the first example."""
    size, expected = order.shape[1], 0
    for batch in order:
        if batch[0] == 0:
            expected = 0
        if batch[0] != expected or not np.array_equal(batch, np.arange(expected,
                                                                     expected + size)):
            return False
        expected += size
    return True


def _roles(recorded, firsts: list, indices, data_dir: str, validation_size: int,
           source: dict | None, draws: set) -> tuple:
    """(each fed placeholder's role: "images", "labels", "drawn" (one of
    `draws`, the trace's "fed_draws") or the number fed; whether the labels
    are one-hot; the shape of a fed image where the script reshaped the
    loader's, else None), from each optimizer's first call (`firsts`: [(its
    step, its fed tensors)]; the batch `indices` the first step's); refused
    otherwise."""
    images, digits = prove.training_split(data_dir, validation_size, source)
    batch = images[indices]
    roles, one_hot, images_shape = {}, True, None
    for number, tensors in firsts:
        for tensor in tensors:
            if tensor in roles:
                continue
            if tensor in draws:
                roles[tensor] = "drawn"
                continue
            value = recorded.step_value(number, "input", tensor)
            if value is None:
                raise DataError(f"the trace kept no value of {tensor} at step {number}")
            if value.ndim == 0:
                roles[tensor] = float(value) if value.dtype.kind == "f" else int(value)
            elif number != 1:
                raise DataError(f"the script feeds {tensor} first at step {number}, an array "
                                "tf1-convert finds only in the first training call, yet")
            elif value.size == batch.size and len(value) == len(batch) and np.array_equal(
                    (value.astype(images.dtype) if value.dtype.kind == "f" else value)
                    .reshape(batch.shape), batch):  # a float64 feed: what TF1 cast it to
                roles[tensor] = "images"
                if value.shape != batch.shape:  # reshaped by the script before it fed them
                    images_shape = list(value.shape[1:])
            elif np.array_equal(value, np.eye(10, dtype=value.dtype)[digits[indices]]):
                roles[tensor] = "labels"
            elif np.array_equal(value, digits[indices]):
                roles[tensor], one_hot = "labels", False
            else:
                raise DataError(f"the script feeds {tensor} an array tf1-convert cannot trace "
                                "to MNIST's training images or labels")
    return roles, one_hot, images_shape


def render(recorded: dict, source: str, script: str, mode: str, output: str) -> tuple:
    """(the rewrite's source, the map pairing its variables and inputs with
    the script's) for a record; raises Unsupported or DataError."""
    manifest = recorded["manifest"]
    described = fed_as_inputs(manifest["forward_graph"], recorded["fed"],
                              [entry["loss"] for entry in manifest["optimizers"]])
    count = len(manifest["optimizers"])
    described_names = {entry["name"] for entry in manifest["forward_graph"]}
    for entry in manifest["optimizers"]:
        if entry.get("loss") is None or entry["loss"].rsplit(":", 1)[0] not in described_names:
            raise DataError(f"the trace holds no graph of {entry['class']}'s loss "
                            f"({entry.get('loss') or 'not found'}): trace it again with this "
                            "version of tf1-run")
    programs = [program.build(Graph(described, source), manifest, script, mode == "exact", index)
                for index in range(count)]  # one forward pass and loss per optimizer
    built = programs[0]
    if recorded["roles"] is None:
        raise DataError("the script's batches were not traced (it does not read MNIST "
                        "through read_data_sets' next_batch)")
    roles = {built.placeholders.get(tensor, tensor): role
             for tensor, role in recorded["roles"].items()}
    constants = {name: role for name, role in roles.items() if not isinstance(role, str)}
    facts = source_facts.SourceFacts(source, os.path.basename(script))
    draws = [{built.placeholders.get(tensor, tensor): {**draw, "tag": facts.line_tag(
        f"{os.path.basename(script)}:{draw['line']}")}
        for tensor, draw in (manifest.get("fed_draws") or {}).get(entry["train_op"], {}).items()}
        for entry in manifest["optimizers"]]  # each optimizer's calls' own draws
    optimizers = [_optimizer(entry, tag, facts)
                  for entry, (tag, _) in zip(manifest["optimizers"], facts.optimizers(count))]
    by_optimizer = recorded.get("feeds_by_optimizer") or [recorded["fed"]]
    feeds = [{name: (role if isinstance(role, str) else name.upper())
              for name, role in roles.items()
              if name in set(each.inputs.values()) | set(each.loss_arguments)
              and any(built.placeholders.get(tensor, tensor) == name for tensor in fed)}
             for each, fed in zip(programs, by_optimizer)]
    weights = {variable: f"model.{layer.name}.{part}" for layer in built.layers
               for part, variable in layer.variables.items()}
    steps = None if count == 1 else _steps(programs, optimizers, feeds, draws, facts,
                                           weights, recorded["cycle"])
    setting = emit.Setting(os.path.basename(script), output, mode, recorded["batch_size"],
                           facts.loop(recorded["traced_steps"] // len(recorded.get("cycle") or
                                                                     [0]),
                                      recorded.get("in_order", False)),
                           optimizers[0], facts.data_tag(),
                           recorded["one_hot"], feeds[0], constants,
                           recorded.get("validation_size", VALIDATION_SIZE),
                           recorded.get("in_order", False), recorded.get("train_source"),
                           facts.index_draw(), recorded.get("images_shape"),
                           {name: draw for name, draw in draws[0].items() if name in feeds[0]},
                           steps,
                           recorded.get("cycle"))
    mapping = {"variables": {variable: f"{built.model_name}/{layer.name}/{part}"
                             for layer in built.layers
                             for part, variable in layer.variables.items()},
               "inputs": {tensor: built.placeholders[tensor] for tensor in recorded["fed"]
                          if any(built.placeholders.get(tensor) in each for each in feeds)}}
    if steps:
        mapping["optimizers"] = [{"feeds": f"{step['name']}_feeds", "loss": entry["loss"]}
                                 for step, entry in zip(steps, manifest["optimizers"])]
    return emit.source(built, setting), mapping


def _optimizer(entry: dict, tag: str, facts) -> dict:
    """A trace's optimizer entry with the script lines of it, its clipping
    and its schedule as tags; refused where its clipping cannot be written."""
    optimizer = {**entry, "line": tag}
    clip = optimizer.get("clip")
    if clip and clip.get("function") is None:
        raise DataError(f"{optimizer['line']}: {clip['why']}: tf1-convert writes gradients "
                        "clipped by one tf.clip_by_norm, clip_by_value or "
                        "clip_by_global_norm, yet")
    for key in ("clip", "learning_rate_schedule"):  # their script lines, as tags
        if optimizer.get(key) and optimizer[key].get("line"):
            optimizer[key] = {**optimizer[key], "line": facts.line_tag(optimizer[key]["line"])}
    return optimizer


def _steps(programs: list, optimizers: list, feeds: list, draws: list, facts,
           weights: dict, cycle: list) -> list:
    """For a script of several optimizers: each one's program, optimizer,
    feeds, the NumPy draws its calls fed, name (what the script's line assigns it) and the weights it
    trains (its var_list, as the model's attributes), in the manifest's
    order; refused unless each round of the cycle feeds one batch."""
    batch_steps = [index for index in cycle if "images" in feeds[index].values()]
    if len(batch_steps) != 1:
        raise DataError(f"each round of the script's optimizers ({len(cycle)} training calls) "
                        f"feeds {len(batch_steps)} batches of images: tf1-convert writes one "
                        "per round, yet")
    unbatched = [index for index in set(cycle) if index != batch_steps[0]
                 and "labels" in feeds[index].values()]
    if unbatched:
        raise DataError(f"{optimizers[unbatched[0]]['line']}: its calls feed the labels of the "
                        "batch another optimizer's call took: tf1-convert writes one batch "
                        "per round, fed to one call, yet")
    names = [name for _, name in facts.optimizers(len(programs))]
    found = []
    for index, (built, optimizer, fed, drawn) in enumerate(zip(programs, optimizers, feeds,
                                                                draws)):
        name = names[index] if names[index] and names.count(names[index]) == 1 else \
            f"optimizer_{index + 1}"
        missing = [variable for variable in optimizer["variables"] if variable not in weights]
        if missing:
            raise DataError(f"{optimizer['line']}: it trains {missing[0]}, which no layer "
                            "of the rewrite holds")
        found.append({"program": built, "optimizer": optimizer, "feeds": fed, "name": name,
                      "draws": {argument: draw for argument, draw in drawn.items()
                                if argument in fed},
                      "weights": [weights[variable] for variable in optimizer["variables"]],
                      "batch": index == batch_steps[0]})
    return found
