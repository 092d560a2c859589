"""`tf.matmul(x, tf.transpose(W))` (+ `b`) (+ an activation), W another
Dense layer's kernel (a tied-weights autoencoder's decoder) -> TiedDense
reading that layer's kernel, its bias added by tf.add in exact mode where
the script's `+` added it (T4), by BiasAdd otherwise."""

from __future__ import annotations

from tf1kit.convert.expressions import Unsupported
from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import (Layer, Spec, faithful_bias, plain_matmul,
                                       with_bias_and_activation)


class TiedDense(Spec):
    kinds = ("tied_dense",)
    order = 11

    def match(self, graph, op, random_ops):
        if not plain_matmul(op):
            return None
        transpose = graph.op(op.inputs[1])
        if transpose.type != "Transpose" or len(transpose.inputs) != 2:
            return None
        kernel = graph.variable(transpose.inputs[0])
        perm = graph.constant(transpose.inputs[1])
        if kernel is None or perm is None or list(perm) != [1, 0]:
            return None
        layer = Layer("tied_dense", op.inputs[0], f"{op.name}:0", [transpose.name, op.name],
                      config={"tied": kernel, "kernel_op": transpose.name})
        return with_bias_and_activation(graph, layer)

    def link(self, graph, layer, layers) -> None:
        """The layer whose kernel it reads (`tied_layer`), which the model
        builds and calls before it; Unsupported where none holds it."""
        owner = next((other for other in layers
                      if other.variables.get("kernel") == layer.config["tied"]
                      and other.kind == "dense"), None)
        if owner is None or layers.index(owner) > layers.index(layer):
            raise Unsupported(graph.op(f"{layer.config['kernel_op']}:0"),
                              "a transposed weight no Dense layer before it holds")
        layer.config["tied_layer"] = owner.name

    def layer(self, layer, exact, constants):
        config = layer.config
        arguments = [f"self.{config['tied_layer']}"]
        if "activation" in config:
            arguments.append(keyword("activation", config["activation"]))
        if config.get("use_bias") is False:
            arguments.append("use_bias=False")
        elif not faithful_bias(layer, exact):
            arguments.append("bias_add=True")
        return Call("TiedDense", [*arguments, keyword("name", layer.name)])

    def imports(self, layer, exact):
        return {"TiedDense"}


SPEC = TiedDense()
