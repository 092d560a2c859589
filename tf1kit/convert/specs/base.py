"""What every construct's spec shares: the Layer a pattern lifts, the Spec
interface (pattern, layer per mode, imports, call arguments), and the
pieces of patterns several constructs use (a kernel's bias and activation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tf1kit.convert.graph import Graph
from tf1kit.trace.graph import GraphOp
from tf1kit.convert.source import Call, keyword

# TF1 activation ops -> the name Keras knows them by.
ACTIVATIONS = {"Sigmoid": "sigmoid", "Relu": "relu", "Tanh": "tanh", "Softmax": "softmax",
               "Elu": "elu", "Selu": "selu", "Softplus": "softplus", "Relu6": "relu6"}
BIAS_OPS = ("Add", "AddV2", "BiasAdd")


@dataclass
class Layer:
    """A Keras layer standing for one or more TF1 ops."""
    kind: str           # the spec's kind: dense, conv2d, max_pool, ...
    input: str          # the tensor it reads
    output: str         # the tensor it gives
    ops: list           # the TF1 ops it replaces, in order
    config: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)  # "kernel"/"bias" -> TF1 variable name
    keep_prob: str | None = None  # dropout: the fed keep probability (or computed from feeds)
    name: str = ""                                 # given by naming.name_layers
    reuses: "Layer | None" = None  # the earlier layer holding its weights: that one called again
    shared: bool = False  # its weights are applied more than once (holder and reusers)


class Spec:
    """One TF1 construct: the ops it matches and the Keras it becomes.
    `order`: when its pattern is tried at an op, lowest first (a kernel
    takes its bias and activation before a lone activation can)."""
    kinds: tuple = ()
    order: int = 0

    def match(self, graph: Graph, op: GraphOp, random_ops: dict) -> Layer | None:
        """The layer starting at `op`, else None; `random_ops`: the trace's
        random ops by name (their seeds)."""
        raise NotImplementedError

    def layer(self, layer: Layer, exact: bool, constants: dict) -> Call:
        """The layer's constructor in the mode (`constants`: the numbers the
        script fed in every call, by argument)."""
        raise NotImplementedError

    def imports(self, layer: Layer, exact: bool) -> set:
        """The faithful pieces (tf1kit.keras names) the layer's constructor uses."""
        return set()

    def inputs(self, layer: Layer, exact: bool) -> set:
        """Fed tensors the layer's call reads besides its input."""
        return set()

    def link(self, graph: Graph, layer: Layer, layers: list) -> None:
        """Once every layer is named: what the layer needs of the others (a
        tied decoder, the layer whose kernel it reads); raises Unsupported."""

    def call_arguments(self, layer: Layer, exact: bool, placeholders: dict) -> list:
        """Arguments of the layer's call after its input (`placeholders`:
        the rewrite's expression of each fed tensor the layer reads)."""
        return []

    def call_suffix(self, layer: Layer) -> str:
        """What follows the layer's call (`[:, -1]`: the part of its output
        the script reads)."""
        return ""

    def attribute(self, layer: Layer, part: str) -> str:
        """The Python attribute of the layer holding its variable `part`
        (`kernel`; an RNN's `cell.kernel`)."""
        return part.replace("/", ".")


def plain_matmul(op: GraphOp) -> bool:
    """Whether `op` is `tf.matmul(a, b)`, neither side transposed by the op."""
    return op.type == "MatMul" and len(op.inputs) == 2 and not (
        op.attributes.get("transpose_a") or op.attributes.get("transpose_b"))


def then(graph: Graph, tensor: str, types) -> GraphOp | None:
    """The one op that consumes `tensor`, when it is one of `types`."""
    consumer = graph.sole_consumer(tensor)
    return consumer if consumer is not None and consumer.type in types else None


def with_bias_and_activation(graph: Graph, layer: Layer) -> Layer:
    """The layer extended by the bias a rank-1 (or [1, n]) variable adds to
    its output (AddV2 of tf.add or `+`, or BiasAdd) and the activation
    after it."""
    bias = then(graph, layer.output, BIAS_OPS)
    if bias is not None:
        other = [tensor for tensor in bias.inputs if tensor != layer.output]
        variable = graph.variable(other[0]) if len(other) == 1 else None
        shape = graph.op(other[0]).shapes[0] if variable is not None else None
        row = shape is not None and len(shape) == 2 and shape[0] == 1 and bias.type != "BiasAdd"
        if variable is not None and (len(shape) == 1 or row):
            layer.variables["bias"] = variable
            layer.config["bias_op"] = bias.type  # AddV2 (tf.add) or BiasAdd (tf.nn.bias_add)
            if row:  # tf.zeros([1, n]) added by broadcasting: kept in its shape (exact)
                layer.config["bias_shape"] = (1, shape[1])
            layer.ops.append(bias.name)
            layer.output = f"{bias.name}:0"
    if "bias" not in layer.variables:
        layer.config["use_bias"] = False
    activation = then(graph, layer.output, ACTIVATIONS)
    if activation is not None:
        layer.config["activation"] = ACTIVATIONS[activation.type]
        layer.ops.append(activation.name)
        layer.output = f"{activation.name}:0"
    return layer


def faithful_bias(layer: Layer, exact: bool) -> bool:
    """Whether the layer adds its bias as the script's tf.add / `+` did (the
    faithful layer, exact mode only); a BiasAdd is the stock layer's own."""
    return exact and layer.config.get("bias_op") in ("Add", "AddV2")


def kernel_arguments(layer: Layer) -> list:
    """The arguments after a kernel layer's shape: activation, use_bias, name."""
    config = layer.config
    return ([keyword("activation", config["activation"])] if "activation" in config else []) \
        + (["use_bias=False"] if config.get("use_bias") is False else []) \
        + [keyword("name", layer.name)]


def shortest_number(near: float, matches, digits: int = 9) -> float | None:
    """The shortest decimal near `near` (rounded to 1, 2, ... `digits`
    places) for which `matches(number)` holds: the Python number a script
    wrote, found again from the float32 constants its graph holds; else None."""
    for places in range(1, digits + 1):
        number = round(near, places)
        if matches(number):
            return number
    return None
