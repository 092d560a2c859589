"""Patterns of a TF1 forward graph lifted to Keras layers: `matmul` (+ `add`
| `bias_add`) (+ an activation) -> Dense, `conv2d` (+ `bias_add`) (+ an
activation) -> Conv2D, max and average pooling, a reshape to a constant
shape -> Reshape or Flatten, `tf.nn.dropout` with a fed keep probability ->
TF1Dropout, `tf.random_normal(tf.shape(x))` -> TF1RandomNormal, a lone
activation -> Activation. What no pattern takes stays an
op, written as an expression (tf1kit/convert/expressions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tf1kit.convert.graph import Graph, Op

# TF1 activation ops -> the name Keras knows them by.
ACTIVATIONS = {"Sigmoid": "sigmoid", "Relu": "relu", "Tanh": "tanh", "Softmax": "softmax",
               "Elu": "elu", "Selu": "selu", "Softplus": "softplus", "Relu6": "relu6"}
BIAS_OPS = ("Add", "AddV2", "BiasAdd")
POOLS = {"MaxPool": "max_pool", "AvgPool": "average_pool"}


@dataclass
class Layer:
    """A Keras layer standing for one or more TF1 ops."""
    kind: str           # dense, conv2d, max_pool, average_pool, reshape, flatten, dropout,
    #                     noise, activation
    input: str          # the tensor it reads
    output: str         # the tensor it gives
    ops: list           # the TF1 ops it replaces, in order
    config: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)  # "kernel"/"bias" -> TF1 variable name
    keep_prob: str | None = None                   # dropout: the fed keep probability
    name: str = ""                                 # given by tf1kit/convert/naming.py


def lift(graph: Graph, random_ops: dict) -> list:
    """The layers found, in the graph's order; `random_ops` the trace's
    manifest entries by op name (a dropout's seeds)."""
    layers, claimed = [], set()
    for op in graph.ops:
        if op.name in claimed:
            continue
        layer = (_dense_or_conv(graph, op) or _pool(op) or _reshape(graph, op)
                 or _dropout(graph, op, random_ops) or _noise(graph, op, random_ops)
                 or _activation(op))
        if layer is not None and not claimed.intersection(layer.ops):
            layers.append(layer)
            claimed.update(layer.ops)
    return layers


def _then(graph: Graph, tensor: str, types) -> Op | None:
    """The one op that consumes `tensor`, when it is one of `types`."""
    consumer = graph.sole_consumer(tensor)
    return consumer if consumer is not None and consumer.type in types else None


def _dense_or_conv(graph: Graph, op: Op) -> Layer | None:
    if op.type not in ("MatMul", "Conv2D") or len(op.inputs) != 2:
        return None
    kernel = graph.variable(op.inputs[1])
    attributes = op.attributes
    if kernel is None or attributes.get("transpose_a") or attributes.get("transpose_b") \
            or attributes.get("data_format", "NHWC") != "NHWC" \
            or attributes.get("padding", "SAME") not in ("SAME", "VALID"):
        return None
    shape = graph.op(op.inputs[1]).shapes[0]
    layer = Layer("dense" if op.type == "MatMul" else "conv2d", op.inputs[0], f"{op.name}:0",
                  [op.name], variables={"kernel": kernel})
    if op.type == "MatMul":
        layer.config["units"] = shape[1]
    else:
        strides, dilations = attributes["strides"], attributes.get("dilations", [1, 1, 1, 1])
        layer.config.update(filters=shape[3], kernel_size=tuple(shape[:2]),
                            strides=tuple(strides[1:3]), padding=attributes["padding"].lower(),
                            dilation_rate=tuple(dilations[1:3]))
    bias = _then(graph, layer.output, BIAS_OPS)
    if bias is not None:
        other = [tensor for tensor in bias.inputs if tensor != layer.output]
        variable = graph.variable(other[0]) if len(other) == 1 else None
        if variable is not None and graph.op(other[0]).rank() == 1:
            layer.variables["bias"] = variable
            layer.config["bias_op"] = bias.type  # AddV2 (tf.add) or BiasAdd (tf.nn.bias_add)
            layer.ops.append(bias.name)
            layer.output = f"{bias.name}:0"
    if "bias" not in layer.variables:
        layer.config["use_bias"] = False
    activation = _then(graph, layer.output, ACTIVATIONS)
    if activation is not None:
        layer.config["activation"] = ACTIVATIONS[activation.type]
        layer.ops.append(activation.name)
        layer.output = f"{activation.name}:0"
    return layer


def _pool(op: Op) -> Layer | None:
    attributes = op.attributes
    if op.type not in POOLS or attributes.get("data_format", "NHWC") != "NHWC" \
            or attributes.get("padding") not in ("SAME", "VALID"):
        return None
    return Layer(POOLS[op.type], op.inputs[0], f"{op.name}:0", [op.name],
                 config={"pool_size": tuple(attributes["ksize"][1:3]),
                         "strides": tuple(attributes["strides"][1:3]),
                         "padding": attributes["padding"].lower()})


def _reshape(graph: Graph, op: Op) -> Layer | None:
    if op.type != "Reshape":
        return None
    target = graph.constant(op.inputs[1])
    if not isinstance(target, list) or not target or target[0] != -1 or -1 in target[1:]:
        return None  # a shape computed in the graph, or one that changes the batch
    source = graph.op(op.inputs[0]).shapes[0]
    if len(target) == 2 and source is not None and len(source) > 2:
        return Layer("flatten", op.inputs[0], f"{op.name}:0", [op.name])
    return Layer("reshape", op.inputs[0], f"{op.name}:0", [op.name],
                 config={"target_shape": tuple(target[1:])})


def _dropout(graph: Graph, op: Op, random_ops: dict) -> Layer | None:
    """TF 2.x compat.v1's `tf.nn.dropout(x, keep_prob)`: with `keep_prob` fed,
    rate = 1 - keep_prob; where(uniform >= rate, x / (1 - rate), 0); with a
    Python number, where(uniform >= RATE, x * SCALE, 0), both constants."""
    if op.type != "SelectV2" or len(op.inputs) != 3:
        return None
    compare, scaled, zero = (graph.op(tensor) for tensor in op.inputs)
    if compare.type != "GreaterEqual" or scaled.type not in ("RealDiv", "Mul") \
            or zero.type != "Const":
        return None
    uniform, rate = graph.op(compare.inputs[0]), graph.op(compare.inputs[1])
    if uniform.type != "RandomUniform" or uniform.name not in random_ops:
        return None
    drawn = random_ops[uniform.name]
    config = {"seed": drawn["seed"], "seed2": drawn["seed2"], "op_name": uniform.name}
    divisor = graph.op(scaled.inputs[1])
    if scaled.type == "Mul" and rate.type == "Const" and divisor.type == "Const":
        keep = _keep_probability(rate.value, divisor.value)
        if keep is None:
            return None
        return Layer("dropout", scaled.inputs[0], f"{op.name}:0",
                     [rate.name, divisor.name, scaled.name, uniform.name, compare.name,
                      zero.name, op.name], config={**config, "keep": keep})
    if scaled.type != "RealDiv" or rate.type != "Sub":
        return None
    one, keep_prob = (graph.op(tensor) for tensor in rate.inputs)
    if one.type != "Const" or keep_prob.type != "Placeholder":
        return None
    ops = [rate.name, *[graph.op(tensor).name for tensor in divisor.inputs
                        if graph.op(tensor).type == "Const"], divisor.name, scaled.name,
           uniform.name, compare.name, zero.name, op.name]
    return Layer("dropout", scaled.inputs[0], f"{op.name}:0", ops, config=config,
                 keep_prob=f"{keep_prob.name}:0")


def _keep_probability(rate: float, scale: float) -> float | None:
    """The shortest Python number k for which compat.v1's float64 arithmetic
    (rate = 1 - k, scale = 1 / (1 - rate)) gives the graph's float32 constants."""
    for digits in range(1, 10):
        keep = round(1.0 - rate, digits)
        if np.float32(1.0 - keep) == np.float32(rate) and \
                np.float32(1 / (1 - (1.0 - keep))) == np.float32(scale):
            return keep
    return None


def _noise(graph: Graph, op: Op, random_ops: dict) -> Layer | None:
    """`tf.random_normal(tf.shape(x), mean, stddev)` (or truncated_normal):
    draw * stddev + mean, the draw in the shape of a tensor x."""
    if op.type not in ("Add", "AddV2") or len(op.inputs) != 2:
        return None
    product, mean = (graph.op(tensor) for tensor in op.inputs)
    if product.type != "Mul" or mean.type != "Const" or len(product.inputs) != 2:
        return None
    drawn, stddev = (graph.op(tensor) for tensor in product.inputs)
    if drawn.type not in ("RandomStandardNormal", "TruncatedNormal") or \
            drawn.name not in random_ops or stddev.type != "Const" or not drawn.inputs:
        return None
    shape = graph.by_name.get(drawn.inputs[0].rsplit(":", 1)[0])
    if shape is None or shape.type != "Shape":
        return None  # a constant shape: not an input's
    seeds = random_ops[drawn.name]
    return Layer("noise", shape.inputs[0], f"{op.name}:0",
                 [shape.name, drawn.name, stddev.name, product.name, mean.name, op.name],
                 config={"op_type": drawn.type, "seed": seeds["seed"], "seed2": seeds["seed2"],
                         "mean": float(mean.value), "stddev": float(stddev.value),
                         "op_name": drawn.name})


def _activation(op: Op) -> Layer | None:
    if op.type not in ACTIVATIONS:
        return None
    return Layer("activation", op.inputs[0], f"{op.name}:0", [op.name],
                 config={"activation": ACTIVATIONS[op.type]})
