"""TF1 ops that no layer takes, written as TensorFlow expressions: the loss
and any arithmetic between layers. Each op becomes the call that builds
the same op in a `tf.function` (`tf.reduce_mean` for Mean, `a - b` for
Sub, `tf.nn.softmax_cross_entropy_with_logits` for the op and the reshapes
compat.v1 puts around it), so the rewrite runs the script's kernels. An op
with no such call is refused (Unsupported), naming its type and line."""

from __future__ import annotations

import numpy as np

from tf1kit.convert import slicing
from tf1kit.convert.graph import Graph
from tf1kit.convert.source import keyword
from tf1kit.trace.graph import GraphOp

BINARY = {"Sub": "-", "AddV2": "+", "Add": "+", "Mul": "*", "RealDiv": "/"}
FUNCTIONS = {"Pow": "tf.pow", "Square": "tf.square", "Sqrt": "tf.sqrt", "Log": "tf.math.log",
             "Exp": "tf.exp", "Abs": "tf.abs", "Sigmoid": "tf.sigmoid", "Relu": "tf.nn.relu",
             "Tanh": "tf.tanh", "Softmax": "tf.nn.softmax", "Maximum": "tf.maximum",
             "Minimum": "tf.minimum", "L2Loss": "tf.nn.l2_loss", "Log1p": "tf.math.log1p",
             "SquaredDifference": "tf.math.squared_difference",
             "Reciprocal": "tf.math.reciprocal", "ZerosLike": "tf.zeros_like",
             "OnesLike": "tf.ones_like", "Sign": "tf.sign"}
REDUCTIONS = {"Mean": "tf.reduce_mean", "Sum": "tf.reduce_sum", "Max": "tf.reduce_max",
              "Min": "tf.reduce_min"}
CROSS_ENTROPIES = {"SoftmaxCrossEntropyWithLogits": "tf.nn.softmax_cross_entropy_with_logits",
                   "SparseSoftmaxCrossEntropyWithLogits":
                       "tf.nn.sparse_softmax_cross_entropy_with_logits"}
# Ops compat.v1 wraps around a cross-entropy op, looked through to the
# tensors the script passed.
WRAPPERS = ("Reshape", "StopGradient", "Identity")


# Ops compat.v1 builds around the ones written (a cross-entropy's reshapes,
# shape arithmetic) or that name a tensor: never written themselves.
SCAFFOLDING = ("Const", "Placeholder", "VariableRead", "Shape", "Rank", "Size", "ShapeN",
               "Slice", "Pack", "ConcatV2", "StopGradient", "Reshape", "Identity", "Range")
NO_EXPRESSION = "no Keras layer or TensorFlow expression for this op yet"


class Unsupported(Exception):
    """An op tf1-convert cannot write: `.op`, `.why`; `.also`: the other
    ops of the graph it cannot write either."""

    def __init__(self, op: GraphOp, why: str, also=()):
        super().__init__(f"{op.type} {op.name} ({op.line or 'no script line'}): {why}")
        self.op, self.why, self.also = op, why, list(also)

    def lines(self) -> list:
        """One line per op refused."""
        return [str(self)] + [str(Unsupported(op, NO_EXPRESSION)) for op in self.also]


# tf.losses.* (tf.compat.v1.losses), by the name scope of its ops: the
# function, the op inside that takes the script's tensors, and the keyword
# of each of that op's inputs (None: not one the script passed).
TF_LOSSES = {"softmax_cross_entropy_loss": ("softmax_cross_entropy",
                                            "SoftmaxCrossEntropyWithLogits",
                                            ("logits", "onehot_labels")),
             "sparse_softmax_cross_entropy_loss": ("sparse_softmax_cross_entropy",
                                                   "SparseSoftmaxCrossEntropyWithLogits",
                                                   ("logits", "labels")),
             "mean_squared_error": ("mean_squared_error", "SquaredDifference",
                                    ("predictions", "labels"))}


def _losses_scope(name: str) -> tuple | None:
    """(the tf.losses name scope an op is in, `softmax_cross_entropy_loss_1`,
    and its function's key in TF_LOSSES), or None."""
    scope = name.split("/", 1)[0]
    base = scope.rsplit("_", 1)[0] if scope.rsplit("_", 1)[-1].isdigit() else scope
    return (scope, base) if base in TF_LOSSES and "/" in name else None


# The parts of tf.nn.sigmoid_cross_entropy_with_logits, written as that call.
COMPOSITE_PARTS = ("Select", "SelectV2", "ZerosLike", "GreaterEqual")


def _in_loss_call(graph: Graph, name: str) -> bool:
    """Whether the op is inside a recorded tf.losses call (written whole)."""
    return any(name.startswith(output.split("/")[0] + "/") for output in graph.loss_calls)


def unwritable(graph: Graph, claimed: set) -> list:
    """The ops no layer took (`claimed`: those layers took) of a type with
    no expression here, in the graph's order."""
    known = set(BINARY) | set(FUNCTIONS) | set(REDUCTIONS) | set(CROSS_ENTROPIES) | {
        "Neg", "AddN", "Cast", "OneHot", "Fill", "Transpose"} | set(SCAFFOLDING) | \
        set(COMPOSITE_PARTS) | set(slicing.TYPES)
    return [op for op in graph.ops if op.name not in claimed and op.type not in known
            and not _losses_scope(op.name) and not _in_loss_call(graph, op.name)]


# Consumers that read a tensor's shape, not its values: not a second use.
SHAPE_READERS = ("Shape", "Rank", "Size", "ShapeN")


class Writer:
    """Expressions for tensors, given names for some (layer outputs,
    inputs, locals): a named tensor is written by its name. With `bind`, a
    tensor that several ops read (written once, as the script computed it
    once) or that ends a script line another line reads becomes a local:
    `(name, expression, line)` in `.bound`, in the order they are needed."""

    def __init__(self, graph: Graph, names: dict, bind: bool = False):
        self.graph, self.names, self.bind, self.bound = graph, names, bind, []

    def expression(self, tensor: str, nested: bool = False) -> str:
        if tensor in self.names:
            return self.names[tensor]
        name = self._local(tensor) if self.bind else None
        if name is not None:
            self.bound.append((name, self._write(tensor, False), self.graph.op(tensor).line))
            self.names[tensor] = name
            return name
        return self._write(tensor, nested)

    def inline(self, tensor: str) -> str:
        """The tensor's expression written out, not bound to a local."""
        return self.names.get(tensor) or self._write(tensor, False)

    def _local(self, tensor: str) -> str | None:
        """The name a tensor is bound to, or None to write it inline."""
        op = self.graph.op(tensor)
        if op.type in ("Const", "Placeholder", "VariableRead"):
            return None
        readers = [c for c in self.graph.consumers_of(tensor) if c.type not in SHAPE_READERS]
        assigned = self.graph.assigned_name(op.line) if op.line else None
        line_end = assigned is not None and readers and not any(
            self.graph.same_statement(reader.line, op.line) for reader in readers)
        if not (len(readers) > 1 or line_end):
            return None
        base = assigned if line_end else f"{op.type.lower()}"
        if "/Regularizer/" in op.name:  # a layer's weights_regularizer, not its line's name
            base = op.name.split("/Regularizer/")[0].replace("/", "_") + "_penalty"
        taken, name, number = set(self.names.values()), base, 0
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        return name

    def _write(self, tensor: str, nested: bool) -> str:
        op = self.graph.op(tensor)
        if tensor in self.graph.loss_calls:  # tf.losses.*, as the script called it
            return self._loss_call(self.graph.loss_calls[tensor], op)
        if op.type == "Const":
            return _literal(op.value, op)
        if op.type == "Reshape" and self.graph.op(op.inputs[0]).type in CROSS_ENTROPIES:
            return self.expression(op.inputs[0], nested)  # compat.v1's reshape back
        if op.type in CROSS_ENTROPIES and tensor.endswith(":0"):
            logits, labels = (self._unwrap(name) for name in op.inputs)
            return (f"{CROSS_ENTROPIES[op.type]}(labels={self.expression(labels)}, "
                    f"logits={self.expression(logits)})")
        if op.type == "DivNoNan" and _losses_scope(op.name):  # tf.losses.*, whole
            return self._tf_losses(op)
        logistic = self._logistic_loss(op)
        if logistic is not None:
            logits, labels = logistic
            return (f"tf.nn.sigmoid_cross_entropy_with_logits(labels={self.expression(labels)}, "
                    f"logits={self.expression(logits)})")
        if op.type in BINARY and len(op.inputs) == 2:
            text = (f"{self.expression(op.inputs[0], True)} {BINARY[op.type]} "
                    f"{self.expression(op.inputs[1], True)}")
            return f"({text})" if nested else text
        if op.type == "Neg":
            return f"-{self.expression(op.inputs[0], True)}"
        if op.type in FUNCTIONS:
            return f"{FUNCTIONS[op.type]}({', '.join(map(self.expression, op.inputs))})"
        if op.type == "AddN":  # tf.add_n: one op, its own order of summation
            return f"tf.add_n([{', '.join(map(self.expression, op.inputs))}])"
        if op.type == "Cast" and op.attributes.get("DstT"):
            return f"tf.cast({self.expression(op.inputs[0])}, tf.{op.attributes['DstT']})"
        if op.type == "OneHot":
            return self._one_hot(op)
        if op.type == "Fill":
            return self._fill(op)
        if op.type in REDUCTIONS:
            return self._reduction(op)
        if op.type == "Transpose" and self.graph.constant(op.inputs[1]) is not None:
            return (f"tf.transpose({self.expression(op.inputs[0])}, "  # a copy: the same bits
                    f"{self.graph.constant(op.inputs[1])})")
        if op.type == "Reshape" and self.graph.constant(op.inputs[1]) is not None:
            return (f"tf.reshape({self.expression(op.inputs[0])}, "
                    f"{self.graph.constant(op.inputs[1])})")
        if op.type in slicing.TYPES:
            written = slicing.write(self, op, tensor)
            if written is None:
                raise Unsupported(op, f"a {op.type} whose arguments are computed in the graph")
            return written
        if op.type in ("Placeholder", "VariableRead"):
            raise Unsupported(op, "a tensor the rewrite has no name for")
        raise Unsupported(op, NO_EXPRESSION)

    def _loss_call(self, call: dict, op: GraphOp) -> str:
        """`tf.compat.v1.losses.<function>(...)` with the tensors and the
        Python arguments the script passed (tf1kit/run/losses.py)."""
        unknown = [key for key, value in call["arguments"].items() if value is None
                   and key not in ("weights",)]
        if unknown:
            raise Unsupported(op, f"a tf.losses.{call['function']} whose {unknown[0]} is "
                                  "neither a tensor nor a number")
        arguments = [f"{key}={self.expression(self._unwrap(tensor))}"
                     for key, tensor in call["tensors"].items()]
        arguments += [keyword(key, value) for key, value in call["arguments"].items()
                      if value is not None]
        return f"tf.compat.v1.losses.{call['function']}({', '.join(arguments)})"

    def _fill(self, op: GraphOp) -> str:
        """`tf.ones_like(t)` / `tf.zeros_like(t)` (compat.v1's: Fill of
        Shape(t)), `tf.fill(dims, value)` otherwise; values, not gradients."""
        dims, value = self.graph.op(op.inputs[0]), self.graph.constant(op.inputs[1])
        if value is None:
            raise Unsupported(op, "a tf.fill of a value computed in the graph")
        value = np.asarray(value).item()
        if dims.type == "Shape" and value in (0, 1):
            return f"tf.{'ones' if value == 1 else 'zeros'}_like({self.expression(dims.inputs[0])})"
        shape = (f"tf.shape({self.expression(dims.inputs[0])})" if dims.type == "Shape"
                 else self.expression(op.inputs[0]))
        return f"tf.fill({shape}, {_literal(value, op)})"

    def _one_hot(self, op: GraphOp) -> str:
        """`tf.one_hot(indices, depth)`, with on/off values and axis where
        not the defaults; refused where they are computed in the graph."""
        depth, on, off = (self.graph.constant(tensor) for tensor in op.inputs[1:4])
        if depth is None or on is None or off is None:
            raise Unsupported(op, "a one-hot whose depth or values are computed in the graph")
        arguments = [self.expression(op.inputs[0]), repr(depth)]
        arguments += [f"on_value={_literal(on, op)}"] if on != 1 else []
        arguments += [f"off_value={_literal(off, op)}"] if off != 0 else []
        axis = op.attributes.get("axis", -1)
        arguments += [f"axis={axis}"] if axis != -1 else []
        return f"tf.one_hot({', '.join(arguments)})"

    def _tf_losses(self, op: GraphOp) -> str:
        """`tf.compat.v1.losses.X(...)` for the ops it built (weights 1.0 and
        the default reduction: the only form written yet)."""
        scope, key = _losses_scope(op.name)
        function, inner_type, names = TF_LOSSES[key]
        inner = next((other for other in self.graph.ops if other.type == inner_type
                      and other.name.startswith(scope + "/")), None)
        weights = self._losses_weights(scope, inner)
        if inner is None or weights is None or weights.value != 1.0:
            raise Unsupported(op, f"a tf.losses call with weights or another form: {scope}")
        arguments = ", ".join(f"{keyword}={self.expression(self._unwrap(tensor))}"
                              for keyword, tensor in zip(names, inner.inputs) if keyword)
        return f"tf.compat.v1.losses.{function}({arguments})"

    def _losses_weights(self, scope: str, inner: GraphOp | None) -> GraphOp | None:
        """The constant a tf.losses call weighs its losses by: the Mul of the
        inner op's output (through compat.v1's reshape back), its other input
        (through a Cast), else None."""
        if inner is None:
            return None
        tensor, weighing = f"{inner.name}:0", None
        while weighing is None:
            inside = [op for op in self.graph.consumers_of(tensor)
                      if op.name.startswith(scope + "/")]
            weighing = next((op for op in inside if op.type == "Mul"), None)
            passed = next((op for op in inside if op.type in WRAPPERS), None)
            if weighing is None and passed is None:
                return None
            tensor = f"{passed.name}:0" if passed is not None else tensor
        weights = self.graph.op(weighing.inputs[1])
        while weights.type in ("Cast", "Identity") and weights.inputs:
            weights = self.graph.op(weights.inputs[0])
        return weights if weights.type == "Const" else None

    def _logistic_loss(self, op: GraphOp):
        """(logits, labels) when `op` ends what tf.nn.sigmoid_cross_entropy_with_logits
        builds: `(where(z >= 0, z, 0) - z * labels) + log1p(exp(where(z >= 0, -z, z)))`."""
        if op.type not in ("Add", "AddV2") or len(op.inputs) != 2:
            return None
        difference, softplus = (self.graph.op(tensor) for tensor in op.inputs)
        if difference.type != "Sub" or softplus.type != "Log1p":
            return None
        product = self.graph.op(difference.inputs[1])
        exponential = self.graph.op(softplus.inputs[0])
        if product.type != "Mul" or exponential.type != "Exp" or \
                self.graph.op(difference.inputs[0]).type not in ("Select", "SelectV2"):
            return None
        return product.inputs[0], product.inputs[1]

    def _unwrap(self, tensor: str) -> str:
        while tensor not in self.names and self.graph.op(tensor).type in WRAPPERS:
            tensor = self.graph.op(tensor).inputs[0]
        return tensor

    def _reduction(self, op: GraphOp) -> str:
        value, axis = op.inputs[0], self.graph.constant(op.inputs[1])
        every = self._every_axis(op.inputs[1], value)
        if axis is None and not every:
            raise Unsupported(op, "a reduction over axes computed in the graph")
        axes = [] if every else axis if isinstance(axis, list) else [axis]
        rank = self.graph.op(value).rank()
        arguments = [self.expression(value)]
        if not every and (rank is None or sorted(axes) != list(range(rank))):  # not all
            arguments.append(f"axis={axis}")
        if op.attributes.get("keep_dims"):
            arguments.append("keepdims=True")
        return f"{REDUCTIONS[op.type]}({', '.join(arguments)})"

    def _every_axis(self, axes: str, value: str) -> bool:
        """Whether `axes` is `tf.range(0, tf.rank(value), 1)`: what a
        reduction without an axis builds where the rank is not static (a
        reduce_mean of tf.losses' scalar): every axis."""
        built = self.graph.op(axes)
        if built.type != "Range" or len(built.inputs) != 3:
            return False
        start, rank, step = built.inputs
        rank = self.graph.op(rank)
        known = rank.type == "Rank" and rank.inputs == [value] or \
            rank.type == "Const" and rank.value == self.graph.op(value).rank()  # folded
        return self.graph.constant(start) == 0 and self.graph.constant(step) == 1 and known


def _literal(value, op: GraphOp) -> str:
    if isinstance(value, float):  # the shortest text that is the same float32
        return str(np.float32(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, list):
        return repr(value)
    raise Unsupported(op, "a constant too large to write out")
