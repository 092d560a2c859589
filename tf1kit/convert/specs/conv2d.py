"""`tf.nn.conv2d(x, W, strides, padding)` (+ `b`) (+ an activation) ->
Conv2D; in exact mode AddBiasConv2D where the bias was added by tf.add or
`+` (Conv2D adds a reshaped bias: another reduction of its gradient), and
BiasAddConv2D where by `tf.nn.bias_add` (TF1's gated bias gradient, which
oneDNN does not fuse into the kernel's: T23)."""

from __future__ import annotations

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import (Layer, Spec, faithful_bias, kernel_arguments,
                                       with_bias_and_activation)


class Conv2D(Spec):
    kinds = ("conv2d",)
    order = 20

    def match(self, graph, op, random_ops):
        attributes = op.attributes
        if op.type != "Conv2D" or len(op.inputs) != 2 \
                or attributes.get("data_format", "NHWC") != "NHWC" \
                or attributes.get("padding", "SAME") not in ("SAME", "VALID"):
            return None
        kernel = graph.variable(op.inputs[1])
        if kernel is None:
            return None
        shape = graph.op(op.inputs[1]).shapes[0]
        strides, dilations = attributes["strides"], attributes.get("dilations", [1, 1, 1, 1])
        layer = Layer("conv2d", op.inputs[0], f"{op.name}:0", [op.name],
                      config={"filters": shape[3], "kernel_size": tuple(shape[:2]),
                              "strides": tuple(strides[1:3]),
                              "padding": attributes["padding"].lower(),
                              "dilation_rate": tuple(dilations[1:3])},
                      variables={"kernel": kernel})
        return with_bias_and_activation(graph, layer)

    def layer(self, layer, exact, constants):
        config = layer.config
        kind = _faithful_kind(layer, exact) or "keras.layers.Conv2D"
        extra = [keyword(key, config[key]) for key, default in (
            ("strides", (1, 1)), ("dilation_rate", (1, 1))) if config[key] != default]
        return Call(kind, [repr(config["filters"]), repr(config["kernel_size"]), *extra,
                           keyword("padding", config["padding"]), *kernel_arguments(layer)])

    def imports(self, layer, exact):
        kind = _faithful_kind(layer, exact)
        return {kind} if kind else set()


def _faithful_kind(layer, exact):
    """The faithful Conv2D exact mode writes for the script's bias op (None: stock)."""
    if faithful_bias(layer, exact):
        return "AddBiasConv2D"
    return "BiasAddConv2D" if exact and layer.config.get("bias_op") == "BiasAdd" else None


SPEC = Conv2D()
