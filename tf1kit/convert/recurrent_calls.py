"""What a recorded recurrent call holds in the trace's graph, for the
recurrent spec (specs/recurrent.py): the sequence it reads (`sequence`),
its ops (`between`), what the rest of the graph reads of it
(`read_outside`), its cells' op scopes (`op_scopes`) and its
DropoutWrappers (`wrappers`: each wrapper's dropout ops (one in a
dynamic_rnn's while loop, counted by tf1-run; one per time step in a
static_rnn, listed by tf1-run with their seeds, a step whose output
nothing read never run), their seeds, and the keep probability: a number,
or a tensor computed from fed placeholders (`keep_prob`, `1.0 - dropout`))."""

from __future__ import annotations

from tf1kit.convert.expressions import Unsupported


def cells_of(cell: dict) -> list:
    """The cells of a MultiRNNCell, in order; else the one cell."""
    return cell["cells"] if cell["class"] == "MultiRNNCell" else [cell]


def wrappers(graph, call: dict, ops: list, random_ops: dict, where) -> tuple:
    """([each cell's DropoutWrapper: its dropout ops' seeds and the name of
    the last that ran (the draw a rewrite's trace keeps last),
    its keep probability if a number; None for a cell not wrapped], the fed
    keep probability tensor or None): output dropout in a dynamic_rnn's loop
    (one op, counted: random_ops' "loop") or a static_rnn's steps (an op per
    step and wrapper: the call's "dropout_ops"); Unsupported else."""
    cells = cells_of(call["cell"])
    if not any(cell["class"] == "DropoutWrapper" for cell in cells):
        return [], None
    static, inside = call["function"] == "static_rnn", set(ops)
    wrapped = [cell for cell in cells if cell["class"] == "DropoutWrapper"]
    listed = call.get("dropout_ops", []) if static else \
        [[name, random_ops[name]["seed"], random_ops[name]["seed2"]] for name in random_ops
         if name in inside and "loop" in random_ops[name]]
    steps = len(call["inputs"]) if static else 1
    fed = set()
    for cell in wrapped:
        keep = cell.get("output_keep_prob")
        if call["function"] not in ("dynamic_rnn", "static_rnn") or \
                cell.get("variational_recurrent") or \
                any(cell.get(other, 1.0) != 1.0 for other in ("input_keep_prob",
                                                              "state_keep_prob")) or \
                len(listed) != len(wrapped) * steps or \
                (isinstance(keep, str) and not fed_only(graph, keep)):
            raise Unsupported(where, f"a DropoutWrapper in {call['function']}: tf1-convert "
                                     "writes one on a dynamic_rnn's or static_rnn's cell "
                                     "outputs (output_keep_prob a number or computed from "
                                     "fed placeholders), yet")
        if isinstance(keep, str):
            fed.add(keep)
    if len({_formula(graph, tensor) for tensor in fed}) > 1:  # (`1.0 - dropout` each: one)
        raise Unsupported(where, "DropoutWrappers fed different keep probabilities: "
                                 "tf1-convert writes one, yet")
    # created cell after cell, as each time step called them: wrapper w's op
    # at step t is the (t * wrappers + w)-th. A static RNN's ops that ran
    # (a step whose output nothing reads never runs) ran together.
    by_wrapper = [listed[index::len(wrapped)] for index in range(len(wrapped))]
    ran = [[op for op in listed_ops if random_ops.get(op[0], {}).get("positions")]
           for listed_ops in by_wrapper]
    for each in ran:
        if not each or len({repr(random_ops[op[0]]["positions"]) for op in each}) > 1 or \
                len({op[1] for op in each}) > 1:
            raise Unsupported(where, f"the dropout ops of a DropoutWrapper in {call['function']}"
                                     " ran apart, never or with other graph seeds: tf1-convert "
                                     "writes them drawn together, yet")
    order = iter(zip(by_wrapper, ran))
    return [None if cell["class"] != "DropoutWrapper" else
            {"op_name": (pair := next(order))[1][-1][0], "seed": pair[1][0][1],
             "seed2": [op[2] if op in pair[1] else None for op in pair[0]] if static
             else pair[0][0][2],
             "step_ops": {op[0]: op[2] for op in pair[1]} if static else {},
             "scope": _numbered_scope([op[0] for op in pair[0]]) if static else None,
             "keep": None if isinstance(cell.get("output_keep_prob"), str)
             else cell.get("output_keep_prob")} for cell in cells], min(fed, default=None)


def _formula(graph, tensor: str) -> str:
    """What `tensor` computes, op by op, down to placeholders and constants."""
    op = graph.op(tensor)
    if op.type in ("Placeholder", "Const"):
        return f"{op.name}" if op.type == "Placeholder" else repr(op.value)
    return f"{op.type}({', '.join(_formula(graph, each) for each in op.inputs)})"


def fed_only(graph, tensor: str) -> bool:
    """Whether `tensor` is computed from fed placeholders and constants
    alone (`keep_prob`, or `1.0 - dropout` of a fed rate)."""
    stack, seen = [tensor.rsplit(":", 1)[0]], set()
    while stack:
        op = graph.by_name.get(stack.pop())
        if op is None or op.variable or op.type in ("VariableRead", "VarHandleOp"):
            return False
        if op.name in seen or op.type in ("Placeholder", "Const"):
            continue
        seen.add(op.name)
        stack.extend(name.rsplit(":", 1)[0] for name in op.inputs)
    return True


def _numbered_scope(names: list) -> str | None:
    """The name scope TF1 numbered per time step in a static RNN's dropout
    ops (`rnn/rnn/multi_rnn_cell/cell_0`: `cell_0_1` at step 1; a lone
    wrapper's `rnn/dropout`), as step 0 named it; None for one step."""
    if len(names) < 2:
        return None
    first, second = names[0].split("/"), names[1].split("/")
    at = next((index for index, (a, b) in enumerate(zip(first, second)) if a != b), None)
    return None if at is None else "/".join(first[:at + 1])


def op_scopes(graph, ops: list) -> dict:
    """{kernel variable: the name scope of the first matmul reading it}: the
    ops' scope TF1 gave a static RNN's cell (a stack's under `rnn/rnn/`, not
    its variables' `rnn/`)."""
    found = {}
    for name in ops:
        op = graph.by_name[name]
        if op.type == "MatMul":
            read = graph.op(op.inputs[1])
            if read.type == "VariableRead" and read.variable not in found:
                found[read.variable] = op.name.rsplit("/", 1)[0]
    return found


def sequence(graph, call: dict, where) -> tuple:
    """(the batch-major sequence tensor the layer reads, the ops that cut
    it into the static RNN's steps): `tf.unstack(x, T, 1)`, or the older
    `tf.split(tf.reshape(tf.transpose(x, [1, 0, 2]), [-1, n]), T, 0)`."""
    if call["function"].endswith("dynamic_rnn"):
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


def ancestors(graph, tensors: list, stop: str) -> set:
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


def between(graph, x: str, outputs: list, feeding: list) -> list:
    """Every op from x to `outputs`, in the graph's order (the cell's
    variable reads and constants included; not a fed placeholder, such as
    the batch size a zero_state read: an input, not the layer's)."""
    found = ancestors(graph, outputs, x) | set(feeding)
    return [op.name for op in graph.ops if op.name in found and op.type != "Placeholder"]


def read_outside(graph, call: dict, x: str, feeding: list) -> set:
    """Which of the call's outputs and final states the rest of the graph reads."""
    given = set(call["outputs"]) | set(call["state"]) | set(call.get("backward_state", []))
    inside = set(between(graph, x, [tensor for tensor in given
                                     if tensor.rsplit(":", 1)[0] in graph.by_name], feeding))
    return {tensor for op in graph.ops if op.name not in inside
            for tensor in op.inputs if tensor in given}
