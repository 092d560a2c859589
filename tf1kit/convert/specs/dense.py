"""`tf.matmul(x, W)` (+ `b` by tf.add, `+` or tf.nn.bias_add) (+ an
activation) -> Dense; in exact mode AddBiasDense where the bias was added
by tf.add or `+` (trap T4: Dense adds by BiasAdd, another gradient), and
BiasAddDense for a one-unit layer whose bias was added by BiasAdd (T27:
Dense adds a one-unit bias by AddV2)."""

from __future__ import annotations

from tf1kit.convert.source import Call
from tf1kit.convert.specs.base import (Layer, Spec, faithful_bias, kernel_arguments,
                                       plain_matmul, with_bias_and_activation)


class Dense(Spec):
    kinds = ("dense",)
    order = 10

    def match(self, graph, op, random_ops):
        if not plain_matmul(op):
            return None
        kernel = graph.variable(op.inputs[1])
        if kernel is None:
            return None
        layer = Layer("dense", op.inputs[0], f"{op.name}:0", [op.name],
                      config={"units": graph.op(op.inputs[1]).shapes[0][1]},
                      variables={"kernel": kernel})
        return with_bias_and_activation(graph, layer)

    def layer(self, layer, exact, constants):
        faithful = faithful_bias(layer, exact)
        kind = "AddBiasDense" if faithful else "BiasAddDense" if _one_unit_bias_add(
            layer, exact) else "keras.layers.Dense"
        shape = [f"bias_shape={layer.config['bias_shape']}"] \
            if faithful and "bias_shape" in layer.config else []
        return Call(kind, [repr(layer.config["units"]), *shape, *kernel_arguments(layer)])

    def imports(self, layer, exact):
        return {"AddBiasDense"} if faithful_bias(layer, exact) else \
            {"BiasAddDense"} if _one_unit_bias_add(layer, exact) else set()


def _one_unit_bias_add(layer, exact: bool) -> bool:
    """A one-unit layer whose bias the script added by BiasAdd: stock Dense
    would add it by AddV2 (T27); the faithful BiasAddDense in exact mode."""
    return exact and layer.config.get("bias_op") == "BiasAdd" and layer.config["units"] == 1


SPEC = Dense()
