"""A traced script's rewrite in two stages: `record` reads what the rewrite
needs from the trace and the data (the training step's graph, optimizer
and random ops, each fed placeholder's role, the batch size); `render`
writes the source and the map from that record and the script's source,
with no TensorFlow and no data, so a stored record renders the same text
anywhere (examples/generated/, its snapshot test)."""

from __future__ import annotations

import os

import numpy as np

from tf1kit.convert import emit, program, prove, source_facts, state, turns, weight_clips
from tf1kit.convert.graph import Graph, fed_as_inputs
from tf1kit.convert.specs import BY_KIND
from tf1kit.data.mnist import VALIDATION_SIZE
from tf1kit.errors import DataError
from tf1kit.trace import tracefile
from tf1kit.trace.graph import taken_branches

# What a record keeps of the trace's manifest.
MANIFEST_KEYS = ("forward_graph", "optimizers", "random_ops", "loss_calls", "fed_draws",
                 "recurrent")


def record(trace_path: str, data_dir: str) -> dict:
    """The record of a trace: its manifest's graph, optimizers and random
    ops, the placeholders fed in the training calls (in order), each one's
    role ("images", "labels", "drawn" for an array the script drew with
    NumPy, or the number fed; None where the script's batches were not
    traced), whether labels are one-hot, the batch size, the steps traced;
    the kinds of training call ("calls": the optimizers each runs, a GAN's
    [[0], [1]] or [[0, 1]]; "feeds_by_call": what the first of each fed)
    and, for several optimizers, the order the calls take turns in
    ("cycle", positions in "calls"), the weight clip run after each kind of
    call ("clips", weight_clips) and what each kind was fed again of what
    the call before it took ("shared_by_call")."""
    recorded = tracefile.load(trace_path)
    manifest = recorded.manifest
    if not recorded.steps or not manifest.get("forward_graph") or not manifest["optimizers"]:
        raise DataError("the trace holds no training step with its graph (does the script "
                        "train through a tf.train optimizer?)")
    taken = recorded.step_optimizers()
    clips = weight_clips.between_steps(recorded, taken)
    calls, cycle = turns.cycle(taken, len(manifest["optimizers"]))
    firsts = {}  # call -> (its first step, the tensors that step fed)
    for number, (step, ran) in enumerate(zip(recorded.steps, taken), start=1):
        firsts.setdefault(ran, (number, [key.partition(" ")[2] for key in step["digests"]
                                         if key.startswith("input ")]))
    fed = list(dict.fromkeys(tensor for call in calls for tensor in firsts[call][1]))
    shared = [_fed_again(recorded, firsts[call][0]) for call in calls]
    order = recorded.batch_order("train")
    source = manifest.get("train_source")  # keras.datasets arrays, or read_data_sets
    validation_size = manifest.get("validation_size")
    validation_size = 0 if source else \
        VALIDATION_SIZE if validation_size is None else validation_size
    roles, one_hot, images_shape = \
        _roles(recorded, [firsts[call] for call in calls], order[0], data_dir,
               validation_size, source, recorded.drawn_feeds()) \
        if order is not None else (None, True, None)
    return {"manifest": {key: manifest.get(key) for key in MANIFEST_KEYS}, "fed": fed,
            "state_starts": state.starts(recorded),
            "calls": [list(call) for call in calls],
            "feeds_by_call": [firsts[call][1] for call in calls],
            "roles": roles, "one_hot": one_hot, "images_shape": images_shape,
            "batch_size": None if order is None else int(order.shape[1]),
            "validation_size": validation_size, "train_source": source,
            "in_order": order is not None and in_order(order),
            "traced_steps": len(recorded.steps), "cycle": cycle,
            "clips": [clips.get(call, []) for call in calls], "shared_by_call": shared}


def _fed_again(recorded, number: int) -> list:
    """The tensors training step `number` (1 = the first) was fed with the
    value the step before it was fed (a conditional GAN's generator call
    given the discriminator call's labels and noise again), where the two
    steps ran other optimizers."""
    if number == 1:
        return []
    step, before = recorded.steps[number - 1], recorded.steps[number - 2]
    if recorded.calls[step["call"]]["fetches"] == recorded.calls[before["call"]]["fetches"]:
        return []
    return [key.partition(" ")[2] for key, value in step["digests"].items()
            if key.startswith("input ") and before["digests"].get(key) == value]


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
    for tensor, role in roles.items():  # a number is written once: the same at every step
        fed = [step["digests"].get(f"input {tensor}") for step in recorded.steps]
        first = next(digest for digest in fed if digest is not None) if \
            not isinstance(role, str) else None
        changed = next((number for number, digest in enumerate(fed, start=1)
                        if digest not in (None, first)), None) if first else None
        if changed:
            raise DataError(f"the script feeds {tensor} {role!r} at first and another value at "
                            f"training step {changed}: tf1-convert writes a number the "
                            "training calls are all fed alike, yet")
    return roles, one_hot, images_shape


def training_graph(recorded: dict) -> tuple:
    """(the forward graph as the training calls ran it: fed tensors as
    inputs, each tf.cond the fed numbers decide resolved to its taken
    branch; the manifest with its moving averages as those calls ran them)."""
    manifest = recorded["manifest"]
    losses = [entry["loss"] for entry in manifest["optimizers"]]
    numbers = {tensor: role for tensor, role in (recorded["roles"] or {}).items()
               if not isinstance(role, str)}  # a fed bool deciding a tf.cond among them
    aliases = {}  # a cond's output -> the taken branch's tensor
    described = taken_branches(fed_as_inputs(manifest["forward_graph"], recorded["fed"], losses),
                               numbers, losses, aliases)
    return described, state.as_run(manifest, aliases, numbers,
                                   recorded.get("state_starts") or {})


def render(recorded: dict, source: str, script: str, mode: str, output: str) -> tuple:
    """(the rewrite's source, the map pairing its variables and inputs with
    the script's) for a record; raises Unsupported or DataError."""
    described, manifest = training_graph(recorded)
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
    state.written(programs, manifest)
    if recorded["roles"] is None:
        raise DataError("the script's batches were not traced (it does not read MNIST "
                        "through read_data_sets' next_batch)")
    roles = {built.placeholders.get(tensor, tensor): role
             for tensor, role in recorded["roles"].items()
             if tensor in built.placeholders or isinstance(role, str)}  # (not a cond's bool)
    facts = source_facts.SourceFacts(source, os.path.basename(script))
    optimizers = [_optimizer(entry, tag, facts)
                  for entry, (tag, _) in zip(manifest["optimizers"], facts.optimizers(count))]
    calls = [tuple(call) for call in recorded.get("calls") or [[0]]]
    by_call = recorded.get("feeds_by_call") or [recorded["fed"]]
    used = [set(each.inputs.values()) | set(each.loss_arguments) for each in programs]
    constants = {name: role for name, role in roles.items() if not isinstance(role, str)}
    shared = [{built.placeholders.get(tensor, tensor) for tensor in each}
              for each in recorded.get("shared_by_call") or [[] for _ in calls]]
    feeds = [{name: ("shared" if name in again and isinstance(role, str) else
                     role if isinstance(role, str) else name.upper())
              for name, role in roles.items()
              if any(name in used[index] for index in call)
              and any(built.placeholders.get(tensor, tensor) == name for tensor in fed)}
             for call, fed, again in zip(calls, by_call, shared)]
    by_op = manifest.get("fed_draws") or {}
    draws = [{built.placeholders.get(tensor, tensor): {**draw, "tag": facts.line_tag(
        f"{os.path.basename(script)}:{draw['line']}")}
        for tensor, draw in by_op.get(",".join(manifest["optimizers"][index]["train_op"]
                                               for index in call), {}).items()
        if fed.get(built.placeholders.get(tensor, tensor), "shared") != "shared"}
        for call, fed in zip(calls, feeds)]  # each call's own draws
    weights = {variable: f"model.{layer.name}.{BY_KIND[layer.kind].attribute(layer, part)}"
               for layer in built.layers
               for part, variable in layer.variables.items()}
    clips = [weight_clips.described(each, weights, facts)
             for each in recorded.get("clips") or [[] for _ in calls]]
    if count == 1 and clips[0]:
        raise DataError(f"{clips[0]['tag']}: a weight clip after the training call of a "
                        "script of one optimizer: tf1-convert writes a GAN critic's clip, yet")
    steps = None if count == 1 else turns.calls(programs, optimizers, calls,
                                                (feeds, draws, clips), facts, weights,
                                                recorded["cycle"])
    setting = emit.Setting(os.path.basename(script), output, mode, recorded["batch_size"],
                           facts.loop(recorded["traced_steps"] // len(recorded.get("cycle") or
                                                                     [0]),
                                      recorded.get("in_order", False)),
                           optimizers[0], facts.data_tag(),
                           recorded["one_hot"], feeds[0], constants,
                           recorded.get("validation_size", VALIDATION_SIZE),
                           recorded.get("in_order", False), recorded.get("train_source"),
                           facts.index_draw(), recorded.get("images_shape"), draws[0],
                           steps, recorded.get("cycle"))
    mapping = {"variables": {variable: f"{built.model_name}/{layer.name}/{part}"
                             for layer in built.layers
                             for part, variable in layer.variables.items()},
               "state": {variable: f"{built.model_name}/{layer.name}/{part}"
                         for layer in built.layers
                         for part, variable in layer.config.get("state", {}).items()},
               # a static RNN's dropout op at each time step: the rewrite's wrapper draws
               # them all, the trace keeps each but the named one as `<name>#<seed2>`
               "random": {name: f"{wrapper['op_name']}#{seed2}" for layer in built.layers
                          for wrapper in layer.config.get("wrappers") or [] if wrapper
                          for name, seed2 in wrapper.get("step_ops", {}).items()
                          if name != wrapper["op_name"]},
               "inputs": {tensor: built.placeholders[tensor] for tensor in recorded["fed"]
                          if any(built.placeholders.get(tensor) in each for each in feeds)},
               # each optimizer's forward pass and loss, as its step calls them (the referee)
               "forward": [{"method": "" if index == 0 else f"call_for_{each.loss_name}",
                            "inputs": list(each.inputs.values()),
                            "outputs": each.output_names, "function": each.loss_name,
                            "arguments": each.loss_arguments}
                           for index, each in enumerate(programs)]}
    if steps:
        mapping["optimizers"] = [{"loss": entry["loss"]} for entry in manifest["optimizers"]]
        mapping["calls"] = [{"feeds": step["feeds_function"], "optimizers": list(call),
                             **({"then": step["clip"]["name"]} if step["clip"] else {})}
                            for step, call in zip(steps, calls)]
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
