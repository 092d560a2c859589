"""`tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])` of an image
batch with zeros -> ZeroPadding2D((top, bottom), (left, right)). A copy
with zeros around it: no arithmetic, the same bits in both modes."""

from __future__ import annotations

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec


class ZeroPadding(Spec):
    kinds = ("zero_padding",)
    order = 35

    def match(self, graph, op, random_ops):
        if op.type != "Pad" or len(op.inputs) != 2 or graph.op(op.inputs[0]).rank() != 4:
            return None
        paddings = graph.constant(op.inputs[1])
        if not isinstance(paddings, list) or len(paddings) != 4 \
                or paddings[0] != [0, 0] or paddings[3] != [0, 0]:
            return None  # computed paddings, or ones that pad the batch or the channels
        return Layer("zero_padding", op.inputs[0], f"{op.name}:0", [op.name],
                     config={"padding": (tuple(paddings[1]), tuple(paddings[2]))})

    def layer(self, layer, exact, constants):
        return Call("keras.layers.ZeroPadding2D", [repr(layer.config["padding"]),
                                                   keyword("name", layer.name)])


SPEC = ZeroPadding()
