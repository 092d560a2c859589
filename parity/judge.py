"""The judge: every tensor of a traced step recomputed in float64 from the
same side's own recorded inputs to it, and that side's float32 value held
to what float32 evaluation of the operation can produce from those inputs.

A side is wrong at a tensor when, at some element, |float32 value - float64
value| exceeds the element's error bound. Because each tensor is judged
from its own side's inputs (the layer below as that side recorded it, its
own starting state, its own gradients and slots), a difference born
earlier (another CPU's matmul, oneDNN, JAX) does not excuse or condemn what
comes after: a wrong optimizer, loss or layer downstream is still found.

The bounds, per element, from the operations' error analysis (u = 2^-24,
float32's unit roundoff; docs/numerics.md section 9 derives each):
- a correctly rounded +, -, *, /, sqrt adds at most u times its result;
- a sum or dot product of n terms: SUM_LAMBDA * sqrt(n) * u times the sum
  of the terms' absolute values (Higham and Mary's probabilistic bound,
  which holds whatever order the kernel sums in), never more than the
  worst case nu/(1-nu);
- anything: an absolute FLUSHED (a subnormal result flushed to zero);
- sigmoid and pow, not correctly rounded in any library: TRANSCENDENTAL_ULPS
  relative and SIGMOID_ABSOLUTE absolute (a logistic computed as 0.5 plus
  a rational function loses relative accuracy near 0);
- the gradients, which the trace records but not the backward pass's
  intermediates: a running error bound through the backward pass from the
  side's own activations (first order, each rounding counted once);
- Adam, by TF1's kernel's formula (training_ops.cc ApplyAdam) with TF1's
  float32 constants (1 - beta rounded to float32: trap T5) and the side's
  own beta powers, each operation's rounding counted.
The hyperparameters are the ones the run claims (the recording's
configuration), so a side that trains with other ones is off at its slots
or weights by the change, whatever the bound.
"""

from __future__ import annotations

import math

import numpy as np

from common.architecture import (BIAS_NAMES, LAYER_NAMES, LINEAR_LAYER, PARAMETER_NAMES,
                                 WEIGHT_NAMES)
from tf1kit.float32 import optimizers
from tf1kit.float32.bounds import (DIVISION_ROUNDINGS, SIGMOID_ABSOLUTE,  # noqa: F401
                                   TRANSCENDENTAL_ULPS, U, check, failures, not_judged,
                                   sum_gamma)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|


def _forward(values: dict, layer_inputs: list) -> list:
    """z and a of each layer from the layer's own recorded input."""
    checks = []
    for layer, weight, bias, below in zip(LAYER_NAMES, WEIGHT_NAMES, BIAS_NAMES, layer_inputs):
        W = np.asarray(values[("initial", weight)], np.float64)
        b = np.asarray(values[("initial", bias)], np.float64)
        z = below @ W + b
        magnitude = np.abs(below) @ np.abs(W) + np.abs(b)
        z_bound = sum_gamma(W.shape[0] + 1) * magnitude
        checks.append(check("activation", f"{layer}/z", values[("activation", f"{layer}/z")],
                            z, z_bound))
        if layer == LINEAR_LAYER:
            a, a_bound = z, z_bound
        else:
            a = _sigmoid(z)
            # sigmoid' <= 0.25, and changes by at most a factor e^|dz| over the
            # interval the float32 z may lie in.
            slope = np.minimum(0.25, a * (1 - a) * np.exp(np.minimum(z_bound, 50.0)))
            a_bound = slope * z_bound + TRANSCENDENTAL_ULPS * U * a + SIGMOID_ABSOLUTE * U
        checks.append(check("activation", f"{layer}/a", values[("activation", f"{layer}/a")],
                            a, a_bound))
    return checks


def _loss_and_gradients(values: dict, layer_inputs: list, outputs: list, targets) -> list:
    """The mean squared error and each variable's gradient, from the side's
    own activations and starting weights."""
    prediction = outputs[-1]
    difference = targets - prediction
    n = difference.size
    squares = difference ** 2
    # per term: the subtraction (2u relative on the square), the square or
    # pow; then the sum, then the division by n.
    term_bound = (2 + TRANSCENDENTAL_ULPS) * U * squares
    cost = squares.mean()
    cost_bound = (np.sum(term_bound) + sum_gamma(n) * np.sum(squares)) / n + \
        DIVISION_ROUNDINGS * U * cost
    checks = [check("loss", "cost", values[("loss", "cost")], cost, cost_bound)]
    # d cost / d prediction = 2 (prediction - targets) / n: the subtraction,
    # the factor 2, pow(x, 1) (TF1's Pow gradient), the division by n.
    upstream = -2.0 * difference / n
    upstream_bound = (3 + TRANSCENDENTAL_ULPS + DIVISION_ROUNDINGS) * U * np.abs(upstream)
    gradients = {}
    for index in range(len(LAYER_NAMES) - 1, -1, -1):
        layer, a, below = LAYER_NAMES[index], outputs[index], layer_inputs[index]
        if layer == LINEAR_LAYER:
            dz, dz_bound = upstream, upstream_bound
        else:
            slope = a * (1 - a)  # TF's SigmoidGrad: dy * y * (1 - y), three roundings
            dz = upstream * slope
            dz_bound = slope * upstream_bound + 3 * U * np.abs(dz)
        magnitude = np.abs(dz) + dz_bound
        rows = dz.shape[0]
        weight, bias = WEIGHT_NAMES[index], BIAS_NAMES[index]
        gradients[weight] = (below.T @ dz,
                             np.abs(below).T @ dz_bound
                             + sum_gamma(rows) * (np.abs(below).T @ magnitude))
        gradients[bias] = (dz.sum(axis=0),
                           dz_bound.sum(axis=0) + sum_gamma(rows) * magnitude.sum(axis=0))
        if index:
            W = np.asarray(values[("initial", weight)], np.float64)
            upstream = dz @ W.T
            upstream_bound = dz_bound @ np.abs(W).T + \
                sum_gamma(W.shape[1]) * (magnitude @ np.abs(W).T)
    for name in PARAMETER_NAMES:
        exact, bound = gradients[name]
        checks.append(check("gradient", name, values[("gradient", name)], exact, bound))
    return checks


def _adam(values: dict, hyper) -> list:
    """Adam's slots, updates, new weights and beta powers by TF1's kernel,
    from the side's own gradients, slots and beta powers."""
    claimed = {"learning_rate": hyper.learning_rate, "beta1": hyper.adam_beta1,
               "beta2": hyper.adam_beta2, "epsilon": hyper.adam_epsilon}
    powers = tuple(float(values[("initial", f"beta{i}_power")]) for i in (1, 2))
    slots, updates, weights = [], [], []
    for name in PARAMETER_NAMES:
        exact = optimizers.adam(
            claimed, powers, values[("initial", name)],
            {slot: values[("initial", f"{slot}/{name}")] for slot in ("m", "v")},
            values[("gradient", name)],
            {slot: values[("slot", f"{slot}/{name}")] for slot in ("m", "v")})
        for slot in ("m", "v"):
            slots.append(check("slot", f"{slot}/{name}", values[("slot", f"{slot}/{name}")],
                               *exact[slot]))
        new, bound = exact["weight"]
        weights.append(check("weight", name, values[("weight", name)], new, bound))
        # The trace's update is the float32 new weight minus the old one.
        change = new - np.asarray(values[("initial", name)], np.float64)
        updates.append(check("update", name, values[("update", name)], change,
                             bound + U * np.abs(change)))
    betas = (optimizers.f32(hyper.adam_beta1), optimizers.f32(hyper.adam_beta2))
    # beta_power *= beta, once per step: one product.
    powers = [check("slot", f"beta{i}_power", values[("slot", f"beta{i}_power")],
                    power * beta, U * power * beta)
              for i, power, beta in zip((1, 2), powers, betas)]
    return slots + powers + updates + weights


def judge_step(values: dict, hyper, variant) -> list:
    """Every tensor of one side's traced step, judged (see the module
    docstring), in the trace's dataflow order. `values`: {(kind, name):
    float32 array} of the side's trace; `hyper` the run's claimed
    hyperparameters."""
    inputs = np.asarray(values[("input", "inputs")], np.float64)
    targets = np.asarray(values.get(("input", "targets"), inputs), np.float64)
    outputs = [np.asarray(values[("activation", f"{layer}/a")], np.float64)
               for layer in LAYER_NAMES]
    layer_inputs = [inputs] + outputs[:-1]
    checks = _forward(values, layer_inputs)
    if variant.sparse:
        why = "the sparse variant's penalty terms have no error bound here"
        losses = [not_judged(kind, name, why) for kind, name in values if kind == "loss"]
        checks += losses + [not_judged("gradient", name, why) for name in PARAMETER_NAMES]
    else:
        checks += _loss_and_gradients(values, layer_inputs, outputs, targets)
    return checks + _adam(values, hyper)


SIDES = ("legacy", "modern")


def judge_steps(step_values: dict, hyper, variant) -> dict:
    """The judgement of traced steps: `step_values` {step: {side: values or
    None (not recorded)}}. The record (a report's divergence.judge): the
    steps judged, the first check beyond its bound in (step, dataflow)
    order on either side, each side's closest call, and what was not
    judged and why."""
    record = {"steps": sorted(step_values), "first": None, "closest": {}, "not_judged": []}
    for step in sorted(step_values):
        judged = {}
        for side in SIDES:
            values = step_values[step].get(side)
            if values is None:
                record["not_judged"].append(f"{side}'s tensors of step {step} (not recorded)")
            else:
                judged[side] = judge_step(values, hyper, variant)
        # Dataflow order across both sides: a tensor's position in the trace.
        for position in range(max((len(checks) for checks in judged.values()), default=0)):
            for side, checks in judged.items():
                result = {"side": side, "step": step, **checks[position]}
                if result["ratio"] is None:
                    record["not_judged"].append(
                        f"{side}'s {result['kind']} {result['tensor']} of step {step} "
                        f"({result['why']})")
                elif not result["ratio"] <= 1.0:
                    record["first"] = record["first"] or result
                elif result["ratio"] > record["closest"].get(side, {}).get("ratio", -1.0):
                    record["closest"][side] = result
    return record


def _named(result: dict) -> str:
    return f"{result['side']}'s {result['kind']} {result['tensor']}"


# The optimizer's tensors: what a stock optimizer computes by its own formula.
OPTIMIZER_KINDS = ("slot", "weight")


def describe(record: dict | None, stock_optimizer: bool = False) -> str:
    """One sentence: which side is wrong where, or that both are within
    their bounds (what the verdict rests on). `stock_optimizer`: the modern
    side runs stock Keras Adam by design (idiomatic mode), so its optimizer
    tensors beyond TF1's kernel's bound are expected, and said so."""
    if not record:
        return "not judged"
    steps = ", ".join(str(step) for step in record["steps"])
    first = record["first"]
    if first is not None and stock_optimizer and first["side"] == "modern" \
            and first["kind"] in OPTIMIZER_KINDS:
        return (f"{_named(first)} at step {first['step']} is not TF1's AdamOptimizer "
                f"arithmetic ({first['ratio']:.3g}x its float32 bound): stock Keras Adam's "
                "own formula, expected in idiomatic mode (MIGRATION.md T5); the statistics "
                "decide the verdict")
    if first is not None:
        ratio = "not finite" if not math.isfinite(first["ratio"]) else \
            f"{first['ratio']:.3g}x its float32 error bound"
        return (f"{_named(first)} at step {first['step']} is {ratio} (error "
                f"{first['error']:.3g}, bound {first['bound']:.3g}, at element "
                f"{first['element']}): not what float32 evaluation of the original's "
                "arithmetic (TF1's kernels, its hyperparameters) can produce")
    if record["not_judged"]:
        shown = "; ".join(record["not_judged"][:2])
        more = f"; and {len(record['not_judged']) - 2} more" if len(record["not_judged"]) > 2 \
            else ""
        return f"not every tensor of step {steps} could be judged: {shown}{more}"
    closest = max(record["closest"].values(), key=lambda result: result["ratio"],
                  default=None)
    tail = (f" (closest: {_named(closest)} at step {closest['step']}, "
            f"{closest['ratio']:.3g} of its bound)") if closest else ""
    return (f"every tensor of step {steps} on both sides within its float32 error bound"
            f"{tail}")


def all_within(record: dict | None) -> bool:
    """Whether every tensor of the judged steps, on both sides, was judged
    and is within its bound: the only case a difference may be rounding."""
    return bool(record) and record["first"] is None and not record["not_judged"]
