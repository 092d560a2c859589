"""`tf.nn.dropout(x, keep_prob)` as TF 2.x's compat.v1 builds it -> in exact
mode TF1Dropout (TF1's random stream and arithmetic), in idiomatic mode
keras.layers.Dropout (Keras's own stream: other masks).

With `keep_prob` fed: rate = 1 - keep_prob; where(uniform >= rate,
x / (1 - rate), 0), the keep probability a tensor argument of the call.
With a Python number: where(uniform >= RATE, x * SCALE, 0), both constants;
the call passes the shortest number whose float64 arithmetic gives them:
the drop rate where the script gave one (`tf.layers.dropout(h, rate=0.3,
training=is_training)`, its tf.cond resolved to the branch the fed bool
took: tf1kit/trace/graph.taken_branches), else the keep probability."""

from __future__ import annotations

import numpy as np

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec, shortest_number


class Dropout(Spec):
    kinds = ("dropout",)
    order = 50

    def match(self, graph, op, random_ops):
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
            given = "rate" in graph.statement_text(op.line)  # tf.layers' `rate=0.3`
            number = (drop_rate if given else keep_probability)(rate.value, divisor.value)
            if number is None:
                return None
            return Layer("dropout", scaled.inputs[0], f"{op.name}:0",
                         [rate.name, divisor.name, scaled.name, uniform.name, compare.name,
                          zero.name, op.name],
                         config={**config, ("rate" if given else "keep"): number})
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

    def layer(self, layer, exact, constants):
        config, name = layer.config, keyword("name", layer.name)
        if exact:
            return Call("TF1Dropout", [repr(config["seed"]), repr(config["seed2"]),
                                       keyword("op_name", config["op_name"]), name])
        keep = config.get("keep") or next((argument.upper() for argument in constants), "1.0")
        rate = repr(config["rate"]) if "rate" in config else f"1 - {keep}"
        return Call("keras.layers.Dropout", [rate, keyword("seed", config["seed2"]), name])

    def imports(self, layer, exact):
        return {"TF1Dropout"} if exact else set()

    def inputs(self, layer, exact):
        return {layer.keep_prob} if layer.keep_prob and exact else set()

    def call_arguments(self, layer, exact, placeholders):
        if "rate" in layer.config:
            return ([f"rate={layer.config['rate']!r}"] if exact else []) + ["training=training"]
        keep = placeholders[layer.keep_prob] if layer.keep_prob else layer.config["keep"]
        return ([f"keep_prob={keep}"] if exact else []) + ["training=training"]


def drop_rate(rate: float, scale: float) -> float | None:
    """The shortest Python number r for which compat.v1's float64 arithmetic
    (scale = 1 / (1 - r)) gives the graph's float32 constants."""
    return shortest_number(float(rate), lambda given: np.float32(given) == np.float32(rate)
                           and np.float32(1 / (1 - given)) == np.float32(scale))


def keep_probability(rate: float, scale: float) -> float | None:
    """The shortest Python number k for which compat.v1's float64 arithmetic
    (rate = 1 - k, scale = 1 / (1 - rate)) gives the graph's float32 constants."""
    return shortest_number(1.0 - rate, lambda keep: np.float32(1.0 - keep) == np.float32(rate)
                           and np.float32(1 / (1 - (1.0 - keep))) == np.float32(scale))


SPEC = Dropout()
