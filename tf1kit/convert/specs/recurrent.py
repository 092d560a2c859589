"""`tf.nn.static_rnn(cell, tf.unstack(x, T, 1))` and `tf.nn.dynamic_rnn(cell,
x)` with a BasicLSTMCell, LSTMCell (no peepholes, projection or clipping),
BasicRNNCell or GRUCell -> `keras.layers.RNN(cell)` over x: in exact mode
the cell is TF1's (tf1kit/keras/recurrent.py: its one kernel, gate order
and forget bias) and a static RNN is unrolled as TF1 built it, a dynamic
one a while loop as TF1 ran it. Idiomatic mode refuses it in one line:
stock LSTM, SimpleRNN or GRU hold other weights than TF1's cell (T31). The call is what tf1-run recorded of it (the
trace's "recurrent": the cell, the tensors it read and gave); the layer
takes every op between x and the output the script reads: its last
output (`outputs[-1]`, the final `h`) or, of a dynamic RNN, its outputs."""

from __future__ import annotations

import os

from tf1kit.convert.expressions import Unsupported
from tf1kit.errors import DataError
from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec

# TF1 cell -> (the faithful cell, the stock Keras layer, what the cell's call knows)
CELLS = {"BasicLSTMCell": ("TF1BasicLSTMCell", "keras.layers.LSTM", ("forget_bias",)),
         "LSTMCell": ("TF1BasicLSTMCell", "keras.layers.LSTM", ("forget_bias",)),
         "BasicRNNCell": ("TF1BasicRNNCell", "keras.layers.SimpleRNN", ()),
         "GRUCell": ("TF1GRUCell", "keras.layers.GRU", ())}
NAMES = {"BasicLSTMCell": "lstm", "LSTMCell": "lstm", "BasicRNNCell": "rnn", "GRUCell": "gru"}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "elu", "softsign")


class Recurrent(Spec):
    kinds = ("recurrent",)
    order = 1  # before Dense and the activations: the cell's matmuls are its own

    def match(self, graph, op, random_ops):
        if not hasattr(graph, "_recurrent_layers"):
            graph._recurrent_layers = [  # the calls the training graph holds (not an eval's)
                _layer(graph, call) for call in getattr(graph, "recurrent", [])
                if any(tensor.rsplit(":", 1)[0] in graph.by_name
                       for tensor in call["outputs"] + call["state"])]
        return next((layer for layer in graph._recurrent_layers if layer.ops[0] == op.name),
                    None)

    def layer(self, layer, exact, constants):
        config, cells = layer.config, _cells(layer.config["cell"])
        flags = [f"{name}=True" for name in ("unroll", "return_sequences") if config.get(name)]
        if not exact:  # a stock layer's weights are not TF1's: its proof could not start
            raise DataError(f"{layer.config['line']}: idiomatic mode would write "
                            f"{CELLS[cells[0]['class']][1]}, whose kernels and gate order are "
                            "not TF1's cell's (MIGRATION.md T31): convert it in exact mode "
                            "(tf1kit.keras.keras_lstm_weights moves an LSTM's weights by hand)")
        written = [_cell(cell, exact, "cell" if len(cells) == 1 else f"cell_{index}")
                   for index, cell in enumerate(cells)]
        inner = written[0] if len(cells) == 1 else Call("", written, "[]")
        return Call("keras.layers.RNN", [inner, *flags, keyword("name", layer.name)])

    def imports(self, layer, exact):
        return {CELLS[cell["class"]][0] for cell in _cells(layer.config["cell"])} \
            if exact else set()

    def attribute(self, layer, part):
        """`cell.kernel`; a stack's `cell.cells[1].kernel`."""
        if part.startswith("stacked_rnn_cells/"):
            _, cell, name = part.split("/")
            return f"cell.cells[{cell.rsplit('_', 1)[1]}].{name}"
        return part.replace("/", ".")


def _cells(cell: dict) -> list:
    """The cells of a MultiRNNCell, in order; else the one cell."""
    return cell["cells"] if cell["class"] == "MultiRNNCell" else [cell]


def _activation(cell: dict) -> list:
    return [] if cell.get("activation") in (None, "tanh") else \
        [keyword("activation", cell["activation"])]


def _cell(cell: dict, exact: bool, name: str) -> Call:
    """One cell's constructor: TF1's, its options, its ops under TF1's scope
    (the variables' common folder)."""
    faithful, _, known = CELLS[cell["class"]]
    options = [keyword(option, cell[option]) for option in known if cell.get(option) is not None]
    scope = os.path.commonpath([variable.rsplit("/", 2 if cell["class"] == "GRUCell" else 1)[0]
                                for variable in cell["variables"].values()])  # (GRU: gates/)
    return Call(faithful, [repr(cell["units"]), *options, *_activation(cell),
                           keyword("scope", scope), keyword("name", name)])


def _layer(graph, call: dict) -> Layer:
    """The layer standing for one recorded call; Unsupported where it cannot."""
    where = next((graph.op(tensor) for tensor in call["outputs"]
                  if tensor.rsplit(":", 1)[0] in graph.by_name), graph.ops[-1])
    for cell in _cells(call["cell"]):
        if cell["class"] not in CELLS:
            raise Unsupported(where, f"a {cell['class']} in {call['function']}: tf1-convert "
                                     f"writes {', '.join(CELLS)} cells (or a MultiRNNCell of "
                                     "them), yet")
        _check(call, cell, where)
    x, feeding = _sequence(graph, call, where)
    used = _read_outside(graph, call, x, feeding)
    last = call["outputs"][-1] if call["function"] == "static_rnn" else call["state"][-1]
    if used <= {last, call["outputs"][-1]} and call["function"] == "static_rnn":
        output, sequences = last, False
    elif call["function"] == "dynamic_rnn" and used == {call["state"][-1]}:
        output, sequences = last, False
    elif call["function"] == "dynamic_rnn" and used == {call["outputs"][0]}:
        output, sequences = call["outputs"][0], True
    else:
        raise Unsupported(where, f"the script reads {', '.join(sorted(used))} of its "
                                 f"{call['function']}: tf1-convert writes its last output or "
                                 "its outputs, yet")
    ops = _between(graph, x, [output], feeding)
    cells = _cells(call["cell"])
    variables = {f"cell/{part}": name for part, name in cells[0]["variables"].items()} \
        if len(cells) == 1 else \
        {f"stacked_rnn_cells/cell_{index}/{part}": name
         for index, cell in enumerate(cells) for part, name in cell["variables"].items()}
    config = {"cell": call["cell"], "unroll": call["function"] == "static_rnn",
              "return_sequences": sequences, "name": NAMES[cells[0]["class"]],
              "line": call["line"]}
    return Layer("recurrent", x, output, ops, config=config, variables=variables)


def _check(call: dict, cell: dict, where) -> None:
    """Unsupported where the call or the cell asks what the layer does not write."""
    zeros = all("ZeroState/" in tensor for tensor in call.get("initial_state") or [])
    for given, what in ((call.get("sequence_length"), "a sequence_length"),
                        (call.get("initial_state") and not zeros,
                         "an initial_state other than the cell's zero_state"),
                        (call.get("time_major"), "time_major=True"),
                        (cell.get("state_is_tuple") is False, "state_is_tuple=False"),
                        (cell.get("use_peepholes") or cell.get("num_proj") or
                         cell.get("cell_clip"), "peepholes, a projection or a clip"),
                        (cell.get("activation") not in (None, *ACTIVATIONS),
                         f"activation {cell.get('activation')}")):
        if given:
            raise Unsupported(where, f"{call['function']} with {what}: tf1-convert writes "
                                     "an RNN over a whole batch-major sequence, yet")


def _sequence(graph, call: dict, where) -> tuple:
    """(the batch-major sequence tensor the layer reads, the ops that cut
    it into the static RNN's steps): `tf.unstack(x, T, 1)`, or the older
    `tf.split(tf.reshape(tf.transpose(x, [1, 0, 2]), [-1, n]), T, 0)`."""
    if call["function"] == "dynamic_rnn":
        return call["inputs"][0], []
    sources = {tensor.rsplit(":", 1)[0] for tensor in call["inputs"]}
    if len(sources) == 1:
        cut = graph.by_name.get(sources.pop())
        if cut is not None and cut.type == "Unpack" and cut.attributes.get("axis") == 1:
            return cut.inputs[0], [cut.name]
        if cut is not None and cut.type == "Split":
            axis, reshaped = (graph.op(tensor) for tensor in cut.inputs)
            turned = graph.op(reshaped.inputs[0]) if reshaped.type == "Reshape" else None
            if axis.value == 0 and turned is not None and turned.type == "Transpose" and \
                    graph.op(turned.inputs[1]).value == [1, 0, 2]:
                return turned.inputs[0], [axis.name, cut.name, graph.op(reshaped.inputs[1]).name,
                                          reshaped.name, graph.op(turned.inputs[1]).name,
                                          turned.name]
    raise Unsupported(where, "static_rnn's inputs are not one batch-major tensor cut by "
                             "tf.unstack(x, T, 1) or split on time: tf1-convert writes those, yet")


def _ancestors(graph, tensors: list, stop: str) -> set:
    """The ops `tensors` are computed from, not going past `stop`."""
    found, stack = set(), [tensor.rsplit(":", 1)[0] for tensor in tensors]
    while stack:
        name = stack.pop()
        if name in found or name == stop.rsplit(":", 1)[0] or name not in graph.by_name:
            continue
        found.add(name)
        stack.extend(graph.by_name[name].inputs and
                     [tensor.rsplit(":", 1)[0] for tensor in graph.by_name[name].inputs])
    return found


def _between(graph, x: str, outputs: list, feeding: list) -> list:
    """Every op from x to `outputs`, in the graph's order (the cell's
    variable reads and constants included)."""
    found = _ancestors(graph, outputs, x) | set(feeding)
    return [op.name for op in graph.ops if op.name in found]


def _read_outside(graph, call: dict, x: str, feeding: list) -> set:
    """Which of the call's outputs and final state the rest of the graph reads."""
    given = set(call["outputs"]) | set(call["state"])
    inside = set(_between(graph, x, [tensor for tensor in given
                                     if tensor.rsplit(":", 1)[0] in graph.by_name], feeding))
    return {tensor for op in graph.ops if op.name not in inside
            for tensor in op.inputs if tensor in given}


SPEC = Recurrent()
