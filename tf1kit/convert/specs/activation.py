"""A lone activation op (one no kernel layer took) -> Activation."""

from __future__ import annotations

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import ACTIVATIONS, Layer, Spec


class Activation(Spec):
    kinds = ("activation",)
    order = 90

    def match(self, graph, op, random_ops):
        if op.type not in ACTIVATIONS:
            return None
        return Layer("activation", op.inputs[0], f"{op.name}:0", [op.name],
                     config={"activation": ACTIVATIONS[op.type]})

    def layer(self, layer, exact, constants):
        return Call("keras.layers.Activation", [f'"{layer.config["activation"]}"',
                                                keyword("name", layer.name)])


SPEC = Activation()
