"""`tf.nn.max_pool` / `tf.nn.avg_pool` -> MaxPooling2D / AveragePooling2D."""

from __future__ import annotations

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec

POOLS = {"MaxPool": ("max_pool", "MaxPooling2D"), "AvgPool": ("average_pool", "AveragePooling2D")}


class Pooling(Spec):
    kinds = tuple(kind for kind, _ in POOLS.values())
    order = 30

    def match(self, graph, op, random_ops):
        attributes = op.attributes
        if op.type not in POOLS or attributes.get("data_format", "NHWC") != "NHWC" \
                or attributes.get("padding") not in ("SAME", "VALID"):
            return None
        return Layer(POOLS[op.type][0], op.inputs[0], f"{op.name}:0", [op.name],
                     config={"pool_size": tuple(attributes["ksize"][1:3]),
                             "strides": tuple(attributes["strides"][1:3]),
                             "padding": attributes["padding"].lower()})

    def layer(self, layer, exact, constants):
        config = layer.config
        keras_class = dict(POOLS.values())[layer.kind]
        return Call(f"keras.layers.{keras_class}",
                    [repr(config["pool_size"]), repr(config["strides"]),
                     keyword("padding", config["padding"]), keyword("name", layer.name)])


SPEC = Pooling()
