"""`tf.reshape(x, [-1, ...])` to a constant shape -> Reshape, or Flatten
when it flattens an image to `[-1, n]`."""

from __future__ import annotations

import math

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec


class Reshape(Spec):
    kinds = ("reshape", "flatten")
    order = 40

    def match(self, graph, op, random_ops):
        if op.type != "Reshape":
            return None
        target = graph.constant(op.inputs[1])
        if not isinstance(target, list) or not target or target[0] != -1 or -1 in target[1:]:
            return None  # a shape computed in the graph, or one that changes the batch
        source = graph.op(op.inputs[0]).shapes[0]
        if source is None or any(size <= 0 for size in source[1:]):
            return None  # a layer keeps the first axis: unknown sizes may move the batch
        if math.prod(source[1:]) != math.prod(target[1:]):  # (a dynamic_partition's [?, ?, n])
            return None  # rows of a batch made into a batch of sequences: the batch changes
        if len(target) == 2 and len(source) > 2:
            return Layer("flatten", op.inputs[0], f"{op.name}:0", [op.name])
        return Layer("reshape", op.inputs[0], f"{op.name}:0", [op.name],
                     config={"target_shape": tuple(target[1:])})

    def layer(self, layer, exact, constants):
        if layer.kind == "flatten":
            return Call("keras.layers.Flatten", [keyword("name", layer.name)])
        return Call("keras.layers.Reshape", [repr(layer.config["target_shape"]),
                                             keyword("name", layer.name)])


SPEC = Reshape()
