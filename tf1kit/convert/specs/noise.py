"""`tf.random_normal(tf.shape(x), mean, stddev)` (or truncated_normal):
draw * stddev + mean in the shape of a tensor x -> TF1RandomNormal in both
modes (no stock layer draws noise of an input's shape from TF1's stream)."""

from __future__ import annotations

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec


class Noise(Spec):
    kinds = ("noise",)
    order = 60

    def match(self, graph, op, random_ops):
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
                     config={"op_type": drawn.type, "seed": seeds["seed"],
                             "seed2": seeds["seed2"], "mean": float(mean.value),
                             "stddev": float(stddev.value), "op_name": drawn.name})

    def layer(self, layer, exact, constants):
        config = layer.config
        return Call("TF1RandomNormal", [
            repr(config["seed"]), repr(config["seed2"]), f'"{config["op_type"]}"',
            keyword("mean", config["mean"]), keyword("stddev", config["stddev"]),
            keyword("op_name", config["op_name"]), keyword("name", layer.name)])

    def imports(self, layer, exact):
        return {"TF1RandomNormal"}


SPEC = Noise()
