"""`tf.nn.static_rnn(cell, tf.unstack(x, T, 1))` and `tf.nn.dynamic_rnn(cell,
x)` with a BasicLSTMCell, LSTMCell (its peepholes, clips and projection),
BasicRNNCell or GRUCell -> `keras.layers.RNN(cell)` over x: in exact mode
the cell is TF1's (tf1kit/keras/recurrent.py: its one kernel, gate order
and forget bias) and a static RNN is unrolled as TF1 built it, a dynamic
one a while loop as TF1 ran it. `static_bidirectional_rnn` and
`bidirectional_dynamic_rnn` -> `keras.layers.Bidirectional` of two such
layers (the backward one `go_backwards=True`; a static one's `outputs[-1]`
is the last step of its sequences: T33). Idiomatic mode refuses them in
one line: stock LSTM, SimpleRNN or GRU hold other weights than TF1's cell
(T31). The call is what tf1-run recorded of it (the trace's "recurrent":
the cells, the tensors it read and gave); the layer takes every op
between x and the output the script reads: its last output
(`outputs[-1]`, the final `h`) or, of a dynamic RNN, its outputs (a
bidirectional one's joined by tf.concat). A stack of cells, or cells in
DropoutWrappers (`TF1DropoutWrapper`: each time step's dropout op, its
seeds and the keep probability fed, read by tf1kit/convert/recurrent_calls.py),
runs in `TF1RNN` (no dead call of a stack's cells before the loop: T32).
A dynamic_rnn's `sequence_length` is Keras's mask of the lengths (T35).
"""

from __future__ import annotations

import os

from tf1kit.convert import recurrent_calls
from tf1kit.convert.recurrent_calls import cells_of
from tf1kit.convert.expressions import Unsupported
from tf1kit.errors import DataError
from tf1kit.convert.source import Call, keyword, list_text
from tf1kit.convert.specs.base import Layer, Spec

# TF1 cell -> (the faithful cell, the stock Keras layer, what the cell's call knows)
CELLS = {"BasicLSTMCell": ("TF1BasicLSTMCell", "keras.layers.LSTM", ("forget_bias",)),
         "LSTMCell": ("TF1LSTMCell", "keras.layers.LSTM",
                      ("forget_bias", "use_peepholes", "cell_clip", "num_proj", "proj_clip")),
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
                _layer(graph, call, random_ops) for call in getattr(graph, "recurrent", [])
                if any(tensor.rsplit(":", 1)[0] in graph.by_name
                       for tensor in call["outputs"] + call["state"])]
        return next((layer for layer in graph._recurrent_layers if layer.ops[0] == op.name),
                    None)

    def layer(self, layer, exact, constants):
        config, cells = layer.config, cells_of(layer.config["cell"])
        if not exact:  # a stock layer's weights are not TF1's: its proof could not start
            raise DataError(f"{layer.config['line']}: idiomatic mode would write "
                            f"{CELLS[_inner(cells[0])['class']][1]}, whose kernels and gate "
                            "order are not TF1's cell's (MIGRATION.md T31): convert it in exact mode "
                            "(tf1kit.keras.keras_lstm_weights moves an LSTM's weights by hand)")
        if "backward_cell" not in config:
            return _rnn(config, config["cell"], "cell", [keyword("name", layer.name)])
        kind = NAMES[_inner(cells[0])["class"]]
        forward = _rnn(config, config["cell"], "forward_cell", [keyword("name", f"forward_{kind}")])
        backward = _rnn(config, config["backward_cell"], "backward_cell",
                        ["go_backwards=True", keyword("name", f"backward_{kind}")])
        backward.function = f"backward_layer={backward.function}"  # a keyword argument
        return Call("keras.layers.Bidirectional", [forward, backward, keyword("name", layer.name)])

    def imports(self, layer, exact):
        cells = [cell for key in ("cell", "backward_cell") if key in layer.config
                 for cell in cells_of(layer.config[key])]
        wrapped = {"TF1DropoutWrapper"} \
            if any(cell["class"] == "DropoutWrapper" for cell in cells) else set()
        runner = {"TF1RNN"} if wrapped or any(
            layer.config[key]["class"] == "MultiRNNCell"
            for key in ("cell", "backward_cell") if key in layer.config) else set()
        return {CELLS[_inner(cell)["class"]][0] for cell in cells} | wrapped | runner \
            if exact else set()

    def inputs(self, layer, exact):
        return ({layer.keep_prob} if layer.keep_prob else set()) | \
            ({layer.config["sequence_length"]} if layer.config.get("sequence_length")
             else set()) if exact else set()

    def call_arguments(self, layer, exact, placeholders):
        """A DropoutWrapper's fed keep probability, and Keras's `training`
        (idiomatic mode refuses the layer: `layer`)."""
        if not exact:
            return []
        lengths = layer.config.get("sequence_length")
        mask = [f"mask=tf.sequence_mask({placeholders[lengths]}, "
                f"{layer.config['time_steps']})"] if lengths else []
        return mask + ([f"keep_prob={placeholders[layer.keep_prob]}", "training=training"]
                       if layer.keep_prob else
                       ["training=training"] if layer.config.get("wrappers") else [])

    def call_suffix(self, layer):
        """A static bidirectional RNN's `outputs[-1]`: the last step of the
        layer's sequences (each step the forward and backward outputs joined);
        a masked RNN's final state: the last of its states (return_state)."""
        return "[:, -1]" if layer.config.get("last_step") else \
            "[-1]" if layer.config.get("final_state") else ""  # (return_state: the last state)

    def attribute(self, layer, part):
        """`cell.kernel`; a stack's `cell.cells[1].kernel`; a bidirectional
        layer's `forward_layer.cell.kernel`."""
        direction, prefix = part.split("/", 1), ""
        if direction[0].startswith(("forward_", "backward_")):  # the direction's RNN
            prefix, part = f"{direction[0].split('_')[0]}_layer.", direction[1]
        if part.startswith("stacked_rnn_cells/"):
            _, cell, *name = part.split("/")  # (a DropoutWrapper's: cell_0/cell/kernel)
            return f"{prefix}cell.cells[{cell.rsplit('_', 1)[1]}].{'.'.join(name)}"
        return f"{prefix}cell.{part.split('/', 1)[1].replace('/', '.')}"


def _rnn(config: dict, cell: dict, name: str, arguments: list) -> Call:
    """`keras.layers.RNN` of the cell (or the list of a stack's cells)."""
    cells, direction = cells_of(cell), {"forward_cell": "fw", "backward_cell": "bw"}.get(name, "")
    wrappers = config.get("wrappers") or [None] * len(cells)
    scopes = config.get("op_scopes", {})
    written = [_wrapped(_cell(_inner(each), "cell" if wrapper else own, direction, scopes),
                        wrapper, own)
               for each, wrapper, own in zip(
                   cells, wrappers, [name] if len(cells) == 1 else
                   [f"{name}_{index}" for index in range(len(cells))])]
    flags = [f"{flag}=True" for flag in ("unroll", "return_sequences") if config.get(flag)]
    if config.get("sequence_length"):  # TF1's outputs past a length are zeros (T35)
        flags += ["zero_output_for_mask=True"] + \
            (["return_state=True"] if config.get("final_state") else [])
    # a stack named as Keras would name the first: a second model in the same process
    # (the referee's float64 one) keeps its variables' paths
    inner = written[0] if len(cells) == 1 else Call(
        "keras.layers.StackedRNNCells", [Call("", written, "[]"),
                                         keyword("name", "stacked_rnn_cells")])
    # TF1RNN: a stack's cells not called before the loop (T32), a wrapper's stream
    faithful = len(cells) > 1 or any(wrappers)
    return Call("TF1RNN" if faithful else "keras.layers.RNN", [inner, *flags, *arguments])


def _inner(cell: dict) -> dict:
    """The cell a DropoutWrapper wraps; else the cell."""
    return cell["cells"][0] if cell["class"] == "DropoutWrapper" else cell


def _wrapped(inner: Call, wrapper: dict | None, name: str) -> Call:
    """The cell in TF1DropoutWrapper (its dropout op's seeds, a keep
    probability the script gave as a number), or the cell alone."""
    if wrapper is None:
        return inner
    keep = [keyword("output_keep_prob", wrapper["keep"])] if wrapper.get("keep") is not None \
        else []
    seed2 = wrapper["seed2"]
    scope = [keyword("scope", wrapper["scope"])] if wrapper.get("scope") else []
    return Call("TF1DropoutWrapper", [inner, keyword("seed", wrapper["seed"]),
                                      f"seed2={list_text(seed2)}" if isinstance(seed2, list)
                                      else keyword("seed2", seed2),
                                      keyword("op_name", wrapper["op_name"]), *keep, *scope,
                                      keyword("name", name)])


def _activation(cell: dict) -> list:
    return [] if cell.get("activation") in (None, "tanh") else \
        [keyword("activation", cell["activation"])]


def _cell(cell: dict, name: str, direction: str = "", scopes: dict | None = None) -> Call:
    """One cell's constructor: TF1's, its options, its ops under TF1's scope
    (a static RNN's: where the graph shows its first matmul, `scopes` by
    kernel; else the variables' common folder, a bidirectional RNN's
    direction, `fw`, twice: its variable scope, then its static_rnn's name
    scope)."""
    faithful, _, known = CELLS[cell["class"]]
    options = [keyword(option, cell[option]) for option in known
               if cell.get(option) not in (None, False)]
    scope = os.path.commonpath([variable.rsplit("/", 2 if cell["class"] == "GRUCell" else 1)[0]
                                for variable in cell["variables"].values()])  # (GRU: gates/)
    kernel = next(iter(cell["variables"].values()), None)
    if (scopes or {}).get(kernel):  # (a stack's: rnn/rnn/multi_rnn_cell/cell_0/gru_cell)
        scope = scopes[kernel]
    elif direction:
        parts = scope.split("/")
        at = parts.index(direction) if direction in parts else None
        scope = scope if at is None else "/".join(parts[:at + 1] + parts[at:])
    return Call(faithful, [repr(cell["units"]), *options, *_activation(cell),
                           keyword("scope", scope), keyword("name", name)])


def _layer(graph, call: dict, random_ops: dict) -> Layer:
    """The layer standing for one recorded call; Unsupported where it cannot."""
    where = next((graph.op(tensor) for tensor in call["outputs"]
                  if tensor.rsplit(":", 1)[0] in graph.by_name), graph.ops[-1])
    directions = [key for key in ("cell", "backward_cell") if key in call]
    for cell in (_inner(each) for key in directions for each in cells_of(call[key])):
        if cell["class"] not in CELLS:
            raise Unsupported(where, f"a {cell['class']} in {call['function']}: tf1-convert "
                                     f"writes {', '.join(CELLS)} cells (or a MultiRNNCell of "
                                     "them), yet")
        _check(call, cell, where)
    x, feeding = recurrent_calls.sequence(graph, call, where)
    read = recurrent_calls.read_outside(graph, call, x, feeding)
    output, sequences = _output(graph, call, read, where)
    ops = recurrent_calls.between(graph, x, [output], feeding)
    wrappers, keep_prob = recurrent_calls.wrappers(graph, call, ops, random_ops, where)
    if wrappers and output not in call["outputs"]:  # Keras's RNN gives the dropped output
        raise Unsupported(where, f"the script reads the final state of a {call['function']} "
                                 "over a DropoutWrapper: tf1-convert writes its outputs, yet")
    kept = {cell.get("output_keep_prob") for cell in cells_of(call["cell"])} - {None}
    lengths = _lengths(graph, call, wrappers, where)
    given = [keep for keep in kept if isinstance(keep, str)] + ([lengths] if lengths else [])
    computing = recurrent_calls.ancestors(graph, given, x)  # (`1.0 - dropout`: the call's
    ops = [name for name in ops if name not in computing]  # arguments, not the layer's ops)
    kind = NAMES[_inner(cells_of(call["cell"])[0])["class"]]
    variables = {}
    for key in directions:  # forward_lstm/forward_cell/kernel: the Keras path below the layer
        cells = cells_of(call[key])
        direction = {"cell": "forward", "backward_cell": "backward"}[key] \
            if len(directions) == 2 else ""
        rnn, name = (f"{direction}_{kind}/", f"{direction}_cell") if direction else ("", "cell")
        within = ["cell/" if cell["class"] == "DropoutWrapper" else "" for cell in cells]
        variables.update({f"{rnn}{name}/{within[0]}{part}": variable
                          for part, variable in _inner(cells[0])["variables"].items()}
                         if len(cells) == 1 else
                         {f"{rnn}stacked_rnn_cells/{name}_{index}/{within[index]}{part}": variable
                          for index, cell in enumerate(cells)
                          for part, variable in _inner(cell)["variables"].items()})
    static = call["function"].startswith("static")
    config = {"cell": call["cell"], "unroll": static, "return_sequences": sequences,
              "name": f"bidirectional_{kind}" if len(directions) == 2 else kind,
              "line": call["line"], "last_step": static and sequences}
    if len(directions) == 2:
        config["backward_cell"] = call["backward_cell"]
    if wrappers:
        config["wrappers"] = wrappers
    if static:
        config["op_scopes"] = recurrent_calls.op_scopes(graph, ops)
    if lengths:  # a mask of the lengths; the final state, not the (zeroed) last output
        config.update(sequence_length=lengths, time_steps=graph.op(x).shapes[0][1],
                      final_state=not sequences)
    return Layer("recurrent", x, output, ops, config=config, variables=variables,
                 keep_prob=keep_prob)


def _lengths(graph, call: dict, wrappers: list, where) -> str | None:
    """A dynamic_rnn's sequence_length tensor (computed from feeds and
    constants), written as Keras's mask of the lengths (T35); None without
    one; Unsupported where tf1-convert does not write it."""
    lengths = (call.get("sequence_length") or [None])[0]
    if lengths is None:
        return None
    if call["function"] != "dynamic_rnn" or len(cells_of(call["cell"])) > 1 or wrappers or \
            not recurrent_calls.fed_only(graph, lengths) or \
            (graph.op(call["inputs"][0]).shapes[0] or [0, -1])[1] <= 0:
        raise Unsupported(where, f"{call['function']} with a sequence_length: tf1-convert "
                                 "writes one of a dynamic_rnn of one cell, computed from feeds, "
                                 "over a known number of time steps, yet")
    return lengths


def _output(graph, call: dict, used: set, where) -> tuple:
    """(the tensor the layer gives, whether it returns sequences): what the
    script reads of the call. A static RNN: its last output (a bidirectional
    one's: the last step of its sequences). A dynamic RNN: its final output
    or its outputs; a bidirectional one's two joined by a tf.concat."""
    function, outputs, state = call["function"], call["outputs"], call["state"]
    if function == "static_rnn" and used <= {state[-1], outputs[-1]}:
        return (outputs[-1] if outputs[-1] in used else state[-1]), False
    if function == "static_bidirectional_rnn" and used == {outputs[-1]}:
        return outputs[-1], True
    if function == "dynamic_rnn" and used in ({state[-1]}, {outputs[0]}):
        return next(iter(used)), used == {outputs[0]}
    if function == "bidirectional_dynamic_rnn":
        for pair, axis, sequences in ((outputs, 2, True),
                                      ([state[-1], call["backward_state"][-1]], 1, False)):
            joined = next((op for op in graph.ops if op.type == "ConcatV2" and
                           op.inputs[:-1] == pair), None)
            if used == set(pair) and joined is not None and \
                    graph.op(joined.inputs[-1]).value in (axis, -1) and \
                    all(graph.consumers_of(tensor) == [joined] for tensor in pair):
                return f"{joined.name}:0", sequences
    raise Unsupported(where, f"the script reads {', '.join(sorted(used))} of its {function}: "
                             "tf1-convert writes its last output or its outputs (a "
                             "bidirectional one's joined by tf.concat), yet")


def _check(call: dict, cell: dict, where) -> None:
    """Unsupported where the call or the cell asks what the layer does not write."""
    zeros = all("ZeroState/" in tensor for tensor in call.get("initial_state") or [])
    for given, what in ((call.get("initial_state") and not zeros,
                         "an initial_state other than the cell's zero_state"),
                        (call.get("time_major"), "time_major=True"),
                        (cell.get("state_is_tuple") is False, "state_is_tuple=False"),
                        (cell.get("activation") not in (None, *ACTIVATIONS),
                         f"activation {cell.get('activation')}")):
        if given:
            raise Unsupported(where, f"{call['function']} with {what}: tf1-convert writes "
                                     "an RNN over a whole batch-major sequence, yet")




SPEC = Recurrent()
