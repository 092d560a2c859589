"""The names a rewrite gives what it writes: each layer (its kernel's name
in the script, a scope, or what the calling line assigns), the outputs and
locals of the model's `call`, the loss function and the model class, all
valid Python and clear of the names Keras and the rewrite's own code use."""

from __future__ import annotations

import keyword
import os
import re

from tf1kit.convert.graph import Graph
from tf1kit.convert.specs.base import Layer

# Attributes a keras.Model has already: a layer is not given these names.
MODEL_ATTRIBUTES = {"name", "layers", "input", "output", "inputs", "outputs", "weights",
                    "variables", "trainable", "losses", "metrics", "optimizer", "loss", "call",
                    "build", "dtype", "compile", "fit", "predict", "summary", "training"}


# Names the rewrite's own code uses beside the script's (train_step's locals,
# main's, the modules): a loss function is not given one.
TAKEN_NAMES = {"loss", "model", "optimizer", "gradients", "tape", "train_step", "feeds",
               "main", "runtime", "keras", "tf", "argparse", "images", "labels", "args"}



def loss_name(graph: Graph, loss_op) -> str | None:
    """What the script calls its loss: the name its line assigns, unless
    that line makes the train op of a loss written in the call
    (`D_solver = opt.minimize(-D_loss)`: `negated_D_loss`)."""
    named = graph.assigned_name(loss_op.line) if loss_op.line else None
    if named and ".minimize(" in graph.statement_text(loss_op.line):
        source = graph.op(loss_op.inputs[0]) if loss_op.type == "Neg" else None
        inner = graph.assigned_name(source.line) if source is not None and source.line \
            else None
        return f"negated_{inner}" if inner else None
    return named


def name_layers(graph: Graph, layers: list) -> None:
    """Each layer's name: its kernel's name in the script (a dict key or an
    assigned name), else its kind numbered as Keras would; where a helper
    made several kernels under one name (`Weights` in `add_layer`), what
    the line calling it assigns (`l1`)."""
    everything, layers = layers, [layer for layer in layers if layer.reuses is None]
    names = []
    for layer in layers:
        kernel = layer.variables.get("kernel") or next(iter(layer.variables.values()), None)
        name = None  # (a layer without a kernel by its other variable: a batch norm's gamma)
        if layer.kind == "recurrent":  # its kind: lstm, gru, rnn
            name = layer.config["name"]
        elif "kernel_op" in layer.config:  # a kernel computed from a weight: tf.transpose(W)
            name = graph.variable_name(graph.op(f"{layer.config['kernel_op']}:0"))
        elif kernel is not None:
            read = next(op for op in graph.ops if op.variable == kernel)
            name = graph.variable_name(read)
            name = None if name in ("gamma", "beta") else name  # a bare `gamma`: its kind
        else:
            name = scope_name(graph, layer)
        names.append(name)
    taken = set()
    for layer, name in zip(layers, names):
        if name is not None and names.count(name) > 1:
            layer.name = ""
            called, line = local_name(graph, layer)
            name = called if line is not None else name
        name = python_name(name or layer.kind)
        if name in MODEL_ATTRIBUTES:
            name += "_layer"
        layer.name = numbered(name, taken)
        taken.add(layer.name)
    for layer in everything:
        if layer.reuses is not None:
            layer.name = layer.reuses.name


def scope_name(graph: Graph, layer: Layer) -> str | None:
    """The scope a weightless layer's op is in when the script's line names
    it (`max_pool2d(net, [2, 2], scope="pool1")`), else None."""
    op = graph.op(layer.output)
    scope = op.name.split("/")[0] if "/" in op.name else None
    text = graph.statement_text(op.line) if op.line else ""
    return scope if scope and (f'"{scope}"' in text or f"'{scope}'" in text) else None


def local_name(graph: Graph, layer: Layer, outermost: bool = False) -> tuple:
    """The name the script gives a layer's output and the line that gives
    it: what its line assigns, or, for a helper's line (one that made
    several layers) or a `return`, what the line that called it assigns."""
    op = graph.op(layer.output)
    if layer.kind == "recurrent":  # `outputs, states = tf.nn.dynamic_rnn(...)`
        line, targets = layer.config["line"], graph.assigned_names(layer.config["line"])
        if op.type == "ConcatV2" and op.line and graph.assigned_name(op.line):
            return python_name(graph.assigned_name(op.line)), op.line  # its directions joined
        return ("outputs" if not targets else python_name(targets[0])) \
            if layer.config["return_sequences"] and not layer.config.get("last_step") \
            else "last_output", line
    frames = [*op.callers, op.line]
    if outermost:
        frames = frames[::-1]
    for line in reversed(frames):
        helper = sum(1 for other in graph.ops if other.line == line and other.type in (
            "MatMul", "Conv2D", "MaxPool", "AvgPool")) > 1 or len(
            {tuple(other.callers) for other in graph.ops if other.line == line}) > 1
        if graph.returns(line) or helper:
            continue
        name = graph.assigned_name(line)
        if name and not (line == op.line and any(
                graph.same_statement(consumer.line, line)
                for consumer in graph.consumers_of(layer.output))):
            return python_name(name), line  # (a line that goes on with it names another)
    if op.callers and op.line:  # `D_real, D_logit_real = discriminator(X)`
        name = graph.unpacked_name(op.line, op.callers[-1])
        if name:
            return python_name(name), op.callers[-1]
    if op.line and graph.assigned_name(op.line) and layer.shared:
        return python_name(graph.assigned_name(op.line)), op.line  # as its function names it
    return layer.name, None


def unique(name: str, locals_: dict, later: set) -> str:
    """`name`, rebound as the script rebinds it, unless the tensor it holds
    is read later: then `name_1`, `name_2`, ..."""
    number, candidate = 0, name
    while candidate in locals_ and locals_[candidate] in later:
        number += 1
        candidate = f"{name}_{number}"
    return candidate


def numbered(name: str, taken: set) -> str:
    if name not in taken:
        return name
    number = 1
    while f"{name}_{number}" in taken:
        number += 1
    return f"{name}_{number}"


def python_name(name: str) -> str:
    """A Python identifier for a script's name: a keyword gets a trailing
    underscore (`in_`: a leading one would not name a Keras layer's scope)."""
    name = re.sub(r"\W", "_", name)
    if keyword.iskeyword(name):
        return name + "_"
    if not name or name[0].isdigit():
        name = "layer_" + name
    return name


def model_name(graph: Graph, layers: list, script: str) -> str:
    """The function that built every layer, else the script's name."""
    outer = {_outer_function(graph, layer) for layer in layers}
    # One call of it, not a layer helper called once per layer (`add_layer`).
    calls = {graph.op(layer.output).callers[:1][0] if graph.op(layer.output).callers else ""
             for layer in layers}
    name = outer.pop() if len(outer) == 1 and len(calls) == 1 else "<module>"
    return os.path.splitext(os.path.basename(script))[0] if name == "<module>" else name


def class_name(name: str) -> str:
    """conv_net -> ConvNet, original_autoencoder -> OriginalAutoencoder."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[\W_]+", name)
                   if part) or "Model"


def _outer_function(graph: Graph, layer: Layer) -> str:
    """The outermost function (not the module) on the layer's call stack."""
    op = graph.op(layer.output)
    for line in [*op.callers, op.line]:
        function = graph.function_at(line)
        if function:
            return function
    return "<module>"
