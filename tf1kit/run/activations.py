"""The forward activations of a TF1 training step: the floating-point
tensors on the path from the fed inputs to the loss the optimizer
minimizes that end a chain Grappler may fuse (a layer's output, not its
matmul before the bias), in the graph's creation order, each named by its
tensor and the script line that made it. tf1kit/run/session.py fetches them in the
training call itself at the steps whose values it keeps, so that a
comparison can name the first layer whose output differs.

Shape arithmetic, variable reads and constants are not activations: a
tensor counts when it depends on a fed input and the loss depends on it.
"""

from __future__ import annotations

from tf1kit.trace.graph import ITERATOR_OUTPUTS, GraphOp
from tf1kit.run.random_ops import script_frames
from tf1kit.trace.tracefile import RANDOM_TYPES  # the "random" kind

# Ops whose outputs are bookkeeping, not values of the forward pass.
NOT_ACTIVATIONS = ("Shape", "ShapeN", "Size", "Rank", "Identity", "Const", "Placeholder",
                   "PlaceholderWithDefault", "StopGradient", "NoOp")
# Ops that Grappler's remapper can fold into the op before them (a matmul
# or convolution with its bias and activation becomes one fused kernel,
# with oneDNN other bits: measured for MatMul + Add on a 2-core AMD EPYC,
# docs/numerics.md). A tensor whose only consumer is one of these is the
# inside of such a chain: fetching it would stop the fusion and change the
# training's bits, so only the chain's end is an activation.
FUSABLE_CONSUMERS = ("BiasAdd", "Add", "AddV2", "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh",
                     "Sigmoid", "Selu", "Softplus", "Mish", "FusedBatchNorm",
                     "FusedBatchNormV3", "Mul")


def _ancestors(tensor) -> set:
    stack, seen = [tensor.op], set()
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
    return seen


def forward_tensors(loss, fed: list) -> list:
    """The activations (Tensors) between the `fed` tensors and `loss`, in
    the graph's creation order (scalars, such as the loss itself, left out)."""
    upstream = _ancestors(loss)
    fed_ops = {tensor.op for tensor in fed}
    downstream, stack = set(), [op for op in fed_ops if op in upstream]
    while stack:
        op = stack.pop()
        if op in downstream:
            continue
        downstream.add(op)
        stack.extend(consumer for tensor in op.outputs for consumer in tensor.consumers()
                     if consumer in upstream)
    found = []
    for op in sorted(downstream - fed_ops, key=lambda op: op._id):
        if op.type in NOT_ACTIVATIONS or op.type in RANDOM_TYPES \
                or getattr(op, "_control_flow_context", None) is not None:
            continue
        found += [tensor for tensor in op.outputs
                  if tensor.dtype.is_floating and tensor.shape.rank != 0
                  and not _inside_a_chain(tensor, upstream)]
    return found


def _inside_a_chain(tensor, upstream: set) -> bool:
    """Whether the tensor's one consumer on the way to the loss can fuse it away."""
    consumers = [op for op in tensor.consumers() if op in upstream]
    return len(consumers) == 1 and consumers[0].type in FUSABLE_CONSUMERS


# The attributes a float64 re-evaluation of an op needs (tf1kit/compare/graph_judge.py)
# and tf1-convert's expressions read (a slice's masks, a split's count).
ATTRIBUTES = ("strides", "padding", "ksize", "data_format", "dilations", "transpose_a",
              "transpose_b", "adj_x", "adj_y", "keep_dims", "axis", "explicit_paddings",
              "DstT", "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
              "shrink_axis_mask", "num_split", "num", "batch_dims", "num_partitions",
              "epsilon", "is_training", "exponential_avg_factor")  # a fused batch norm's
# A Const is kept in the description when at most this many elements.
CONSTANT_ELEMENTS = 64


def _attribute(value):
    value = value.decode() if isinstance(value, bytes) else value
    if type(value).__name__ == "DType":  # a Cast's DstT: its name, "float32"
        return value.name
    return [int(item) if isinstance(item, int) else item for item in value] \
        if isinstance(value, (list, tuple)) else value


def _variable_read(op) -> str | None:
    """The variable an op reads (a RefVariable's `read` Identity, a resource
    variable's ReadVariableOp), or None."""
    if op.type == "Identity" and op.inputs and op.inputs[0].op.type in ("VariableV2", "Variable"):
        return op.inputs[0].op.name
    if op.type == "ReadVariableOp" and op.inputs[0].op.type == "VarHandleOp":
        return op.inputs[0].op.name
    return None


def iterator_outputs(losses: list) -> list:
    """The tensors of tf.data iterators' `get_next()` the losses are computed
    from (a script that feeds no images: `x, y = iterator.get_next()`)."""
    found = []
    for loss in losses:
        for op in sorted(_ancestors(loss), key=lambda op: op._id):
            if op.type in ITERATOR_OUTPUTS:
                found += [tensor for tensor in op.outputs if tensor not in found]
    return found


def describe_graph(losses: list, script: str = "") -> list:
    """The forward graph of the losses, for the trace's manifest: each op
    (creation order) with its type, inputs, output shapes, the attributes
    of ATTRIBUTES it has, a small Const's value, a variable read as
    {"type": "VariableRead", "variable": name}, and the script line that
    made it (a variable read: the line that made the variable): what a
    float64 check of an activation re-evaluates it from, and what
    tf1-convert writes a rewrite from."""
    stack, seen = [loss.op for loss in losses], set()
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if _variable_read(op) is None and op.type not in ("Placeholder",) + RANDOM_TYPES \
                + ITERATOR_OUTPUTS:
            stack.extend(tensor.op for tensor in op.inputs)
        elif op.type in RANDOM_TYPES:  # the tensor whose shape it draws, if any
            stack.extend(tensor.op for tensor in op.inputs if tensor.op.type == "Shape")
    described = []
    for op in sorted(seen, key=lambda op: op._id):
        made_by, variable = op, _variable_read(op)
        if variable is not None:
            made_by = op.inputs[0].op
        frames = script_frames(made_by, script)  # the innermost, and the lines that called it
        entry = GraphOp(
            op.name, "VariableRead" if variable is not None else op.type,
            [] if variable is not None else [t.name for t in op.inputs],
            [[-1 if size is None else int(size) for size in t.shape.as_list()]
             if t.shape.rank is not None else None for t in op.outputs],
            attributes={name: _attribute(op.get_attr(name)) for name in ATTRIBUTES
                        if name in op.node_def.attr},
            variable=variable, line=frames[-1][0] if frames else "",
            function=frames[-1][1] if frames else "",
            callers=[line for line, _ in frames[:-1]],
            dtype=op.outputs[0].dtype.name if op.type == "Placeholder" else None)
        if op.type == "Const":
            from tensorflow.python.framework import tensor_util
            array = tensor_util.MakeNdarray(op.get_attr("value"))
            if array.size <= CONSTANT_ELEMENTS and array.dtype.kind in "biuf":
                entry.value = array.tolist()
        described.append(entry.entry())
    return described
