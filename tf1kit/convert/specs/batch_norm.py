"""`tf.layers.batch_normalization(x, training=is_training)` (and
`tf.contrib.layers.batch_norm`, whose fused op on a rank-2 input is
reshaped to [-1, 1, 1, C] and back), its tf.cond resolved to the branch the fed bool took
(tf1kit/trace/graph.taken_branches): `tf.nn.moments` (Mean,
StopGradient, SquaredDifference, Mean, each squeezed) and
`tf.nn.batch_normalization` (x * inv + (beta - mean * inv), inv =
rsqrt(variance + epsilon) * gamma), or one FusedBatchNormV3 on a rank-4
input -> in exact mode TF1BatchNormalization
(its moving statistics updated by TF1's AssignSub, T28), in idiomatic
mode keras.layers.BatchNormalization. The moving statistics are the ones
the training call's UPDATE_OPS wrote from these moments (the trace's
"state_updates"): proven like weights, under the map's "state"."""

from __future__ import annotations

import numpy as np

from tf1kit.convert.source import Call, keyword
from tf1kit.convert.specs.base import Layer, Spec, shortest_number, then


class BatchNorm(Spec):
    kinds = ("batch_norm",)
    order = 5

    def match(self, graph, op, random_ops):
        if op.type in ("FusedBatchNorm", "FusedBatchNormV3"):
            return _fused(graph, op)
        fused = then(graph, f"{op.name}:0", ("FusedBatchNorm", "FusedBatchNormV3"))
        if op.type == "Reshape" and fused is not None:  # contrib's, from its [-1, 1, 1, C]
            layer = _fused(graph, fused)
            return layer if layer is not None and op.name in layer.ops else None
        if op.type != "Mean":
            return None
        x, mean = op.inputs[0], f"{op.name}:0"
        stop = then(graph, mean, ("StopGradient",)) or next(
            (each for each in graph.consumers_of(mean) if each.type == "StopGradient"), None)
        if stop is None:
            return None
        squared = then(graph, f"{stop.name}:0", ("SquaredDifference",))
        variance = squared and squared.inputs == [x, f"{stop.name}:0"] and \
            then(graph, f"{squared.name}:0", ("Mean",))
        if not variance:
            return None
        ops = [graph.op(op.inputs[1]).name, op.name, stop.name, squared.name,
               graph.op(variance.inputs[1]).name, variance.name]
        statistics = []
        for tensor in (mean, f"{variance.name}:0"):
            squeeze = next((each for each in graph.consumers_of(tensor)
                            if each.type == "Squeeze"), None)
            statistics.append(f"{squeeze.name}:0" if squeeze else tensor)
            ops += [squeeze.name] if squeeze else []
        return _normalized(graph, x, statistics, ops)

    def layer(self, layer, exact, constants):
        config = layer.config
        arguments = [keyword("momentum", config["momentum"]),
                     keyword("epsilon", config["epsilon"])]
        arguments += ["center=False"] if not config["center"] else []
        arguments += ["scale=False"] if not config["scale"] else []
        if exact and config.get("fused"):
            arguments.append("fused=True")
        if exact and config.get("float32_rate"):
            arguments.append("float32_rate=True")
        if exact and config.get("update_rate") is not None:
            arguments.append(keyword("update_rate", config["update_rate"]))
        if exact and not config.get("state"):
            arguments.append("moving_updates=False")
        for part in ("moving_mean", "moving_variance"):
            start = config.get(f"{part}_start")
            if start is not None:
                arguments.append(f'{part}_initializer="zeros"' if start == 0 else
                                 f"{part}_initializer=keras.initializers.Constant({start!r})")
        return Call("TF1BatchNormalization" if exact else "keras.layers.BatchNormalization",
                    arguments + [keyword("name", layer.name)])

    def imports(self, layer, exact):
        return {"TF1BatchNormalization"} if exact else set()

    def call_arguments(self, layer, exact, placeholders):
        return ["training=training"]


def _normalized(graph, x: str, statistics: list, ops: list) -> Layer | None:
    """The layer, where `tf.nn.batch_normalization(x, mean, variance, beta,
    gamma, epsilon)` follows the moments (`statistics`: mean, variance)."""
    mean, variance = statistics
    add = then(graph, variance, ("AddV2", "Add"))
    epsilon = add and graph.op([tensor for tensor in add.inputs if tensor != variance][0])
    rsqrt = add and epsilon.type == "Const" and then(graph, f"{add.name}:0", ("Rsqrt",))
    if not rsqrt:
        return None
    ops += [epsilon.name, add.name, rsqrt.name]
    inverse, variables = f"{rsqrt.name}:0", {}
    scaled = then(graph, inverse, ("Mul",))
    gamma = scaled and graph.variable([t for t in scaled.inputs if t != inverse][0])
    if gamma:
        variables["gamma"], inverse = gamma, f"{scaled.name}:0"
        ops.append(scaled.name)
    readers = {each.name: each for each in graph.consumers_of(inverse) if each.type == "Mul"}
    times_x = next((each for each in readers.values() if x in each.inputs), None)
    times_mean = next((each for each in readers.values() if mean in each.inputs), None)
    if times_x is None or times_mean is None:
        return None
    shifted = then(graph, f"{times_mean.name}:0", ("Sub", "Neg"))
    if shifted is None:
        return None
    if shifted.type == "Sub":
        beta = graph.variable(shifted.inputs[0])
        if beta is None or shifted.inputs[1] != f"{times_mean.name}:0":
            return None
        variables["beta"] = beta
    output = then(graph, f"{shifted.name}:0", ("AddV2", "Add"))
    if output is None or sorted(output.inputs) != sorted([f"{times_x.name}:0",
                                                           f"{shifted.name}:0"]):
        return None
    ops += [times_x.name, times_mean.name, shifted.name, output.name]
    config = {"epsilon": _shortest(epsilon.value), "center": "beta" in variables,
              "scale": "gamma" in variables}
    return Layer("batch_norm", x, f"{output.name}:0", ops,
                 config=_moving(graph, statistics, config), variables=variables)


def _fused(graph, op) -> Layer | None:
    """tf.layers' fused path (a rank-4 input): FusedBatchNormV3 in training
    mode (its moving averages by their own AssignSub), gamma and beta
    variables, or ones and zeros where scale or center was off."""
    attributes = op.attributes
    if attributes.get("is_training") is not True or \
            attributes.get("exponential_avg_factor", 1.0) != 1.0 or \
            attributes.get("data_format", "NHWC") != "NHWC":
        return None
    x, gamma, beta = op.inputs[:3]
    variables = {part: graph.variable(tensor) for part, tensor in (("gamma", gamma),
                                                                   ("beta", beta))
                 if graph.variable(tensor)}
    constants = [graph.op(tensor) for tensor, part in ((gamma, "gamma"), (beta, "beta"))
                 if part not in variables]
    if any(each.type != "Const" for each in constants):
        return None
    config = {"epsilon": _shortest(attributes["epsilon"]), "center": "beta" in variables,
              "scale": "gamma" in variables, "fused": True}
    ops, output = [*(each.name for each in constants), op.name], f"{op.name}:0"
    reshaped = graph.op(x)  # contrib's rank-2 input: [-1, 1, 1, C] around the fused op
    back = then(graph, output, ("Reshape",))
    if reshaped.type == "Reshape" and back is not None and \
            graph.op(reshaped.inputs[1]).value == [-1, 1, 1, reshaped.shapes[0][-1]] and \
            graph.op(back.inputs[1]).type == "Shape" and \
            graph.op(back.inputs[1]).inputs == reshaped.inputs[:1]:
        x, output = reshaped.inputs[0], f"{back.name}:0"
        ops = [graph.op(reshaped.inputs[1]).name, reshaped.name, *ops,
               graph.op(back.inputs[1]).name, back.name]
    return Layer("batch_norm", x, output, ops,
                 config=_moving(graph, [f"{op.name}:1", f"{op.name}:2"], config),
                 variables=variables)


def _moving(graph, statistics: list, config: dict) -> dict:
    """The config with the moving statistics the training call's updates
    wrote from `statistics` (mean, variance), their momentum and, where it
    was not 1 - momentum in float64, the rate as the graph held it."""
    config = {**config, "momentum": 0.99}
    updates = getattr(graph, "state_updates", {})
    found = [updates.get(statistic) for statistic in statistics]
    if all(update and update.get("form") == "moving_average" for update in found):
        config["state"] = {"moving_mean": found[0]["variable"],
                           "moving_variance": found[1]["variable"]}
        config.update(_momentum(found[0]["rate"]))
        for part, update, default in (("moving_mean", found[0], 0.0),
                                      ("moving_variance", found[1], 1.0)):
            if update.get("start") not in (None, default):  # an EMA's shadow starts at zeros
                config[f"{part}_start"] = update["start"]
    return config


def _shortest(value: float) -> float:
    """The shortest decimal whose float32 is the graph's constant."""
    return shortest_number(value, lambda number: np.float32(number) == np.float32(value),
                           digits=11) or float(np.float32(value))


def _momentum(rate: float) -> dict:
    """{"momentum": the shortest m whose 1 - m gives the graph's float32
    rate} taken in float64 as tf.layers' moments path and contrib did, or
    {..., "float32_rate": True} in float32 as its fused path did
    (1 - 0.99f = 0.00999999); else {"momentum", "update_rate": the rate}."""
    def in_float64(momentum):
        return np.float32(1.0 - momentum) == np.float32(rate)

    def in_float32(momentum):
        return np.float32(1.0) - np.float32(momentum) == np.float32(rate)
    momentum = shortest_number(1.0 - rate, lambda each: in_float64(each) or in_float32(each))
    if momentum is None:
        return {"momentum": round(1.0 - rate, 6), "update_rate": float(np.float32(rate))}
    return {"momentum": momentum} if in_float64(momentum) else \
        {"momentum": momentum, "float32_rate": True}


SPEC = BatchNorm()
