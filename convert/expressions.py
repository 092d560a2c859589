"""TF1 ops that no layer takes, written as TensorFlow expressions: the loss
and any arithmetic between layers. Each op becomes the call that builds
the same op in a `tf.function` (`tf.reduce_mean` for Mean, `a - b` for
Sub, `tf.nn.softmax_cross_entropy_with_logits` for the op and the reshapes
compat.v1 puts around it), so the rewrite runs the script's kernels. An op
with no such call is refused (Unsupported), naming its type and line."""

from __future__ import annotations

from convert.graph import Graph, Op

BINARY = {"Sub": "-", "AddV2": "+", "Add": "+", "Mul": "*", "RealDiv": "/"}
FUNCTIONS = {"Pow": "tf.pow", "Square": "tf.square", "Sqrt": "tf.sqrt", "Log": "tf.math.log",
             "Exp": "tf.exp", "Abs": "tf.abs", "Sigmoid": "tf.sigmoid", "Relu": "tf.nn.relu",
             "Tanh": "tf.tanh", "Softmax": "tf.nn.softmax", "Maximum": "tf.maximum",
             "Minimum": "tf.minimum", "L2Loss": "tf.nn.l2_loss", "Log1p": "tf.math.log1p",
             "SquaredDifference": "tf.math.squared_difference"}
REDUCTIONS = {"Mean": "tf.reduce_mean", "Sum": "tf.reduce_sum", "Max": "tf.reduce_max",
              "Min": "tf.reduce_min"}
CROSS_ENTROPIES = {"SoftmaxCrossEntropyWithLogits": "tf.nn.softmax_cross_entropy_with_logits",
                   "SparseSoftmaxCrossEntropyWithLogits":
                       "tf.nn.sparse_softmax_cross_entropy_with_logits"}
# Ops compat.v1 wraps around a cross-entropy op, looked through to the
# tensors the script passed.
WRAPPERS = ("Reshape", "StopGradient", "Identity")


class Unsupported(Exception):
    """An op tf1-convert cannot write: `.op`, `.why`."""

    def __init__(self, op: Op, why: str):
        super().__init__(f"{op.type} {op.name} ({op.line or 'no script line'}): {why}")
        self.op, self.why = op, why


class Writer:
    """Expressions for tensors, given names for some (layer outputs,
    inputs, locals): a named tensor is written by its name."""

    def __init__(self, graph: Graph, names: dict):
        self.graph, self.names = graph, names

    def expression(self, tensor: str, nested: bool = False) -> str:
        if tensor in self.names:
            return self.names[tensor]
        op = self.graph.op(tensor)
        if op.type == "Const":
            return _literal(op.value, op)
        if op.type == "Reshape" and self.graph.op(op.inputs[0]).type in CROSS_ENTROPIES:
            return self.expression(op.inputs[0], nested)  # compat.v1's reshape back
        if op.type in CROSS_ENTROPIES and tensor.endswith(":0"):
            logits, labels = (self._unwrap(name) for name in op.inputs)
            return (f"{CROSS_ENTROPIES[op.type]}(labels={self.expression(labels)}, "
                    f"logits={self.expression(logits)})")
        if op.type in BINARY and len(op.inputs) == 2:
            text = (f"{self.expression(op.inputs[0], True)} {BINARY[op.type]} "
                    f"{self.expression(op.inputs[1], True)}")
            return f"({text})" if nested else text
        if op.type == "Neg":
            return f"-{self.expression(op.inputs[0], True)}"
        if op.type in FUNCTIONS:
            return f"{FUNCTIONS[op.type]}({', '.join(map(self.expression, op.inputs))})"
        if op.type in REDUCTIONS:
            return self._reduction(op)
        if op.type == "Reshape" and self.graph.constant(op.inputs[1]) is not None:
            return (f"tf.reshape({self.expression(op.inputs[0])}, "
                    f"{self.graph.constant(op.inputs[1])})")
        if op.type in ("Placeholder", "VariableRead"):
            raise Unsupported(op, "a tensor the rewrite has no name for")
        raise Unsupported(op, "no Keras layer or TensorFlow expression for this op yet")

    def _unwrap(self, tensor: str) -> str:
        while tensor not in self.names and self.graph.op(tensor).type in WRAPPERS:
            tensor = self.graph.op(tensor).inputs[0]
        return tensor

    def _reduction(self, op: Op) -> str:
        value, axis = op.inputs[0], self.graph.constant(op.inputs[1])
        if axis is None:
            raise Unsupported(op, "a reduction over axes computed in the graph")
        axes = axis if isinstance(axis, list) else [axis]
        rank = self.graph.op(value).rank()
        arguments = [self.expression(value)]
        if rank is None or sorted(axes) != list(range(rank)):  # not all of them
            arguments.append(f"axis={axis}")
        if op.attributes.get("keep_dims"):
            arguments.append("keepdims=True")
        return f"{REDUCTIONS[op.type]}({', '.join(arguments)})"


def _literal(value, op: Op) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, list):
        return repr(value)
    raise Unsupported(op, "a constant too large to write out")
