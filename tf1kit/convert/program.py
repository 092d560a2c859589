"""What a rewrite holds, decided from the lifted graph: the layers (named
by naming.py), the model's inputs and outputs, the statements of its
`call`, and the loss as an expression of the model's outputs and the fed
inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from tf1kit.convert.expressions import NO_EXPRESSION, Unsupported, Writer, unwritable
from tf1kit.convert.graph import Graph
from tf1kit.convert import naming
from tf1kit.convert.lift import lift
from tf1kit.convert.specs import BY_KIND
from tf1kit.convert.specs.base import Layer
from tf1kit.trace.graph import output_index

@dataclass
class Statement:
    target: str        # the local it assigns
    text: str          # the expression
    tags: list         # "file.py:N  the script's statement" for each line it stands for


@dataclass
class Program:
    model_class: str
    model_name: str    # the function that built the layers, else the script's name
    layers: list
    inputs: dict       # placeholder tensor -> argument name (the model's)
    outputs: list      # the model's outputs, as locals of `call`
    body: list         # Statements of `call`
    output_names: list  # what the training step calls the outputs
    loss_name: str
    loss_arguments: list  # the loss function's parameters, in order
    loss: Statement
    loss_body: list    # Statements before the loss's return
    placeholders: dict = field(default_factory=dict)  # every fed placeholder -> name
    dtypes: dict = field(default_factory=dict)        # placeholder name -> its dtype
    shapes: dict = field(default_factory=dict)  # placeholder name -> its static shape (-1: open)
    nested_sums: bool = False  # a sum of sums: Grappler would fold it (emit.py)
    fed_over: dict = field(default_factory=dict)  # input -> the line its feed replaced


def build(graph: Graph, manifest: dict, script: str, exact: bool = True,
          optimizer: int = 0) -> Program:
    """The Program for a trace's manifest, the forward pass and loss of its
    `optimizer`-th optimizer (each of a GAN's two has its own); raises
    Unsupported. Not `exact`: a dropout keeps its rate inside (stock
    Keras), not a fed keep_prob."""
    graph.loss_calls = {call["output"]: call for call in manifest.get("loss_calls") or []
                        if call.get("output")}  # tf.losses.* as the script called them
    graph.recurrent = manifest.get("recurrent") or []  # static_rnn / dynamic_rnn calls
    graph.state_updates = {update["statistic"]: update for entry in manifest["optimizers"]
                           for update in entry.get("state_updates") or []
                           if update.get("statistic")}  # a batch norm's moving averages
    layers = lift(graph, {entry["name"]: entry for entry in manifest.get("random_ops", [])})
    blocked = unwritable(graph, {name for layer in layers for name in layer.ops})
    if blocked:  # every one of them named, not only the first met
        raise Unsupported(blocked[0], NO_EXPRESSION, blocked[1:])
    if not layers:
        raise Unsupported(graph.ops[-1], "no layer found between the fed inputs and the loss")
    _share_layers(graph, layers)
    naming.name_layers(graph, layers)
    for layer in layers:
        BY_KIND[layer.kind].link(graph, layer, layers)
    placeholders = _placeholder_names(graph)
    by_output = {layer.output: layer for layer in layers}
    loss_tensor = manifest["optimizers"][optimizer]["loss"]
    needed = _reached(graph, loss_tensor, by_output, placeholders)
    outputs = [layer.output for layer in layers if layer.output in needed]
    if not outputs:
        raise Unsupported(graph.op(loss_tensor), "the loss depends on no layer")
    upstream = _upstream(graph, loss_tensor)
    called = [layer for layer in layers if layer.output in upstream]  # what this loss reads
    locals_, body = {}, []
    model_inputs = {}
    for layer in called:
        for tensor in _reached(graph, layer.input, by_output, placeholders) | \
                {fed for tensor in BY_KIND[layer.kind].inputs(layer, exact)
                 for fed in _reached(graph, tensor, by_output, placeholders)}:
            if tensor in placeholders:
                model_inputs[tensor] = placeholders[tensor]
    writer = Writer(graph, {**placeholders}, bind=True)
    for index, layer in enumerate(called):
        later = {tensor for other in called[index + 1:] for tensor in
                 _reached(graph, other.input, by_output, placeholders)} | set(outputs)
        name, line = naming.local_name(graph, layer)
        target = naming.unique(name, locals_, later)
        arguments = [writer.expression(layer.input)]
        given = {tensor: writer.inline(tensor)  # a keep probability `1.0 - dropout`
                 for tensor in BY_KIND[layer.kind].inputs(layer, exact)
                 if tensor not in placeholders}
        body += [Statement(local, text, [_tag(graph, at)] if at else [])
                 for local, text, at in writer.bound]  # what the layer reads, first
        locals_.update((local, tensor) for tensor, local in writer.names.items()
                       if local in {bound[0] for bound in writer.bound})
        writer.bound.clear()
        arguments += BY_KIND[layer.kind].call_arguments(layer, exact, {**placeholders, **given})
        suffix = BY_KIND[layer.kind].call_suffix(layer)
        body.append(Statement(target, f"self.{layer.name}({', '.join(arguments)}){suffix}",
                              _tags(graph, layer, line)))
        writer.names[layer.output] = target
        locals_[target] = layer.output
    # A tensor `call` bound to a local (read twice) that the loss reads too
    # is returned by the model, not computed again in the loss: a second op
    # would sum its two gradients in another order than TF1's one op.
    shared = {tensor: local for local, tensor in locals_.items() if tensor not in by_output}
    needed = _reached(graph, loss_tensor, {**by_output, **shared}, placeholders)
    outputs = [layer.output for layer in layers if layer.output in needed] + \
        [tensor for tensor in shared if tensor in needed]
    output_names = []
    for tensor in outputs:  # each its own name: two tensors must not share one
        name = shared[tensor] if tensor in shared else \
            naming.local_name(graph, by_output[tensor], outermost=True)[0]
        if name in naming.TAKEN_NAMES:  # `model = tf.matmul(L2, W3)`: the step's `model` is the model
            name += "_output"
        output_names.append(naming.numbered(name, set(output_names)))
    # A weight the loss reads itself (an l2_loss of a kernel): the layer's.
    weights = {f"{op.name}:0": f"model.{layer.name}."
                               f"{BY_KIND[layer.kind].attribute(layer, part)}"
               for layer in layers for part, variable in layer.variables.items()
               for op in graph.ops if op.variable == variable}
    loss_writer = Writer(graph, {**placeholders, **weights,
                                 **dict(zip(outputs, output_names))}, bind=True)
    loss_op = graph.op(loss_tensor)
    loss_text = loss_writer._write(loss_tensor, False)  # the loss itself is returned
    loss_body = [Statement(name, text, [_tag(graph, line)] if line else [])
                 for name, text, line in loss_writer.bound]
    every = loss_text + "".join(text for _, text, _ in loss_writer.bound)
    arguments = list(dict.fromkeys((["model"] if "model." in every else []) + output_names
                                   + [name for tensor, name in placeholders.items()
                                      if tensor in needed]))
    model_name = naming.model_name(graph, layers, script)
    loss_name = naming.python_name(naming.loss_name(graph, loss_op) or "loss")
    if loss_name in naming.TAKEN_NAMES or loss_name in arguments:
        loss_name += "_fn"  # `loss = loss(...)` would not run
    return Program(naming.class_name(model_name), model_name, layers, model_inputs,
                   [writer.names[tensor] for tensor in outputs], body, output_names,
                   loss_name, arguments,
                   Statement("loss", loss_text, [_tag(graph, loss_op.line)]), loss_body,
                   placeholders, {name: graph.op(tensor).dtype
                                  for tensor, name in placeholders.items()},
                   {name: _static_shape(graph, tensor) for tensor, name in placeholders.items()},
                   _nested_sums(graph),
                   {name: _tag(graph, graph.op(tensor).line) for tensor, name
                    in model_inputs.items() if graph.op(tensor).attributes.get("fed_over")})


def _static_shape(graph: Graph, tensor: str):
    """The shape TF1's graph knew for a fed tensor (a list, -1 where open;
    None: not even its rank)."""
    shapes, index = graph.op(tensor).shapes or [], output_index(tensor)
    return shapes[index] if index < len(shapes) else None


SUMS = ("Add", "AddV2", "AddN")


def _nested_sums(graph: Graph) -> bool:
    """Whether the graph adds a sum to something (`loss + tf.add_n(...)`,
    `a + b + c`): what Grappler's arithmetic optimizer folds into one AddN."""
    return any(op.type in SUMS and any(graph.op(tensor).type in SUMS for tensor in op.inputs)
               for op in graph.ops)


def _placeholder_names(graph: Graph) -> dict:
    """Each input tensor -> the name the script gives it: what its line
    assigns; each output of a tf.data `get_next()` the name its tuple
    assignment gives (`x, y = iterator.get_next()`)."""
    names = {}
    for op in graph.ops:
        if op.type != "Placeholder":
            continue
        base = graph.assigned_name(op.line) or op.name
        targets = graph.assigned_names(op.line) if len(op.shapes) > 1 else []
        for index in range(max(len(op.shapes), 1)):
            name = targets[index] if index < len(targets) else \
                base if len(op.shapes) <= 1 else f"{base}_{index}"
            # (not `_X`: a tf.function's parameter may not start with an underscore)
            names[f"{op.name}:{index}"] = naming.python_name(name.lstrip("_") or name)
    return names


def _upstream(graph: Graph, tensor: str) -> set:
    """Every tensor `tensor` is computed from, itself included."""
    found, stack = set(), [tensor]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(graph.op(current).inputs)
    return found


def _reached(graph: Graph, tensor: str, layers: dict, placeholders: dict) -> set:
    """The layer outputs and placeholders `tensor` is computed from, stopping
    at the first layer output on each path."""
    found, stack, seen = set(), [tensor], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in layers or current in placeholders:
            found.add(current)
            continue
        stack.extend(graph.op(current).inputs)
    return found


def _share_layers(graph: Graph, layers: list) -> None:
    """A layer whose weights an earlier layer holds (a function called
    again on other inputs with the same variables: a GAN's discriminator,
    `variable_scope(reuse=True)`) is that layer called again (`reuses`)."""
    holders = {}
    for layer in layers:
        weights = tuple(sorted(layer.variables.items()))
        first = holders.setdefault(weights, layer) if weights else layer
        if first is layer:
            continue
        if (first.kind, first.config) != (layer.kind, layer.config):
            raise Unsupported(graph.op(layer.output), f"weights {first.name or 'a layer'} "
                                                      "holds, used another way")
        layer.reuses, layer.shared, first.shared = first, True, True


def _tag(graph: Graph, line: str) -> str:
    return f"{graph.statement_line(line)}  {graph.statement_text(line)}"


def _tags(graph: Graph, layer: Layer, named_at: str | None) -> list:
    """The script lines a layer stands for: the line its name came from
    when that is a call of a helper (and the helper's ops), else each line
    of its ops."""
    if layer.kind == "recurrent":  # its call's line (the cell's ops are the library's)
        output = graph.op(layer.output)  # and a tf.concat joining its two directions
        return [_tag(graph, line) for line in dict.fromkeys(
            [graph.statement_line(graph.by_name[name].line) for name in layer.ops
             if graph.by_name[name].type == "Unpack"] + [layer.config["line"]] +
            ([graph.statement_line(output.line)] if output.type == "ConcatV2" and
             "backward_cell" in layer.config and output.line else []))]
    lines = list(dict.fromkeys(graph.statement_line(graph.by_name[name].line)
                               for name in layer.ops if graph.by_name[name].type != "Const"))
    if named_at and graph.statement_line(named_at) not in lines:
        types = ", ".join(graph.by_name[name].type for name in layer.ops
                          if graph.by_name[name].type != "Const")
        return [f"{_tag(graph, named_at)}  ({graph.op(layer.output).function}: {types})"]
    return [_tag(graph, line) for line in lines if line]
