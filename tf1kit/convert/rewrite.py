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
    """The record of a trace: its manifest's graph, optimizer and random
    ops, the placeholders fed in the first training call (in order), each
    one's role ("images", "labels", "drawn" for an array the script drew
    with NumPy, or the number fed; None where the script's batches were not
    traced), whether labels are one-hot, the
    batch size and the steps traced."""
    recorded = tracefile.load(trace_path)
    manifest = recorded.manifest
    if not recorded.steps or not manifest.get("forward_graph") or not manifest["optimizers"]:
        raise DataError("the trace holds no training step with its graph (does the script "
                        "train through a tf.train optimizer?)")
    if len(manifest["optimizers"]) > 1:
        raise DataError(f"the script trains through {len(manifest['optimizers'])} optimizers "
                        f"({', '.join(entry['class'] for entry in manifest['optimizers'])}): "
                        "tf1-convert writes one, yet")
    fed = [key.partition(" ")[2] for key in recorded.steps[0]["digests"]
           if key.startswith("input ")]
    order = recorded.batch_order("train")
    source = manifest.get("train_source")  # keras.datasets arrays, or read_data_sets
    validation_size = manifest.get("validation_size")
    validation_size = 0 if source else \
        VALIDATION_SIZE if validation_size is None else validation_size
    roles, one_hot, images_shape = \
        _roles(recorded, fed, order[0], data_dir, validation_size, source,
               manifest.get("fed_draws") or {}) \
        if order is not None else (None, True, None)
    return {"manifest": {key: manifest.get(key) for key in MANIFEST_KEYS}, "fed": fed,
            "roles": roles, "one_hot": one_hot, "images_shape": images_shape,
            "batch_size": None if order is None else int(order.shape[1]),
            "validation_size": validation_size, "train_source": source,
            "in_order": order is not None and in_order(order),
            "traced_steps": len(recorded.steps)}


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


def _roles(recorded, fed: list, indices, data_dir: str, validation_size: int,
           source: dict | None, draws: dict) -> tuple:
    """(each fed placeholder's role in the first training call: "images",
    "labels", "drawn" (one of `draws`, the trace's "fed_draws") or the
    number fed; whether the labels are one-hot; the shape of a fed image
    where the script reshaped the loader's, else None); refused otherwise."""
    images, digits = prove.training_split(data_dir, validation_size, source)
    batch = images[indices]
    roles, one_hot, images_shape = {}, True, None
    for tensor in fed:
        if tensor in draws:
            roles[tensor] = "drawn"
            continue
        value = recorded.step_value(1, "input", tensor)
        if value is None:
            raise DataError(f"the trace kept no value of {tensor} at step 1")
        if value.ndim == 0:
            roles[tensor] = float(value) if value.dtype.kind == "f" else int(value)
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
    built = program.build(Graph(described, source), manifest, script, mode == "exact")
    if recorded["roles"] is None:
        raise DataError("the script's batches were not traced (it does not read MNIST "
                        "through read_data_sets' next_batch)")
    roles = {built.placeholders.get(tensor, tensor): role
             for tensor, role in recorded["roles"].items()}
    used = set(built.inputs.values()) | set(built.loss_arguments)
    constants = {name: role for name, role in roles.items() if not isinstance(role, str)}
    feeds = {name: (role if isinstance(role, str) else name.upper())
             for name, role in roles.items() if name in used}
    facts = source_facts.SourceFacts(source, os.path.basename(script))
    draws = {built.placeholders.get(tensor, tensor): {**draw, "tag": facts.line_tag(
        f"{os.path.basename(script)}:{draw['line']}")}
        for tensor, draw in (manifest.get("fed_draws") or {}).items()}
    optimizer = {**manifest["optimizers"][0], "line": facts.optimizer_tag()}
    clip = optimizer.get("clip")
    if clip and clip.get("function") is None:
        raise DataError(f"{optimizer['line']}: {clip['why']}: tf1-convert writes gradients "
                        "clipped by one tf.clip_by_norm, clip_by_value or "
                        "clip_by_global_norm, yet")
    for key in ("clip", "learning_rate_schedule"):  # their script lines, as tags
        if optimizer.get(key) and optimizer[key].get("line"):
            optimizer[key] = {**optimizer[key], "line": facts.line_tag(optimizer[key]["line"])}
    setting = emit.Setting(os.path.basename(script), output, mode, recorded["batch_size"],
                           facts.loop(recorded["traced_steps"], recorded.get("in_order", False)),
                           optimizer, facts.data_tag(),
                           recorded["one_hot"], feeds, constants,
                           recorded.get("validation_size", VALIDATION_SIZE),
                           recorded.get("in_order", False), recorded.get("train_source"),
                           facts.index_draw(), recorded.get("images_shape"),
                           {name: draw for name, draw in draws.items() if name in feeds})
    mapping = {"variables": {variable: f"{built.model_name}/{layer.name}/{part}"
                             for layer in built.layers
                             for part, variable in layer.variables.items()},
               "inputs": {tensor: built.placeholders[tensor] for tensor in recorded["fed"]
                          if built.placeholders.get(tensor) in feeds}}
    return emit.source(built, setting), mapping
