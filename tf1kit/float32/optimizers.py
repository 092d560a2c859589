"""TF1's optimizer kernels judged from a side's own inputs: each slot and
new weight recomputed in float64 from the side's own gradient and state
before the step, with TF1's float32 constants, and held to the error
bound of the kernel's float32 operations (tf1kit/float32/bounds.py's rule, whose
constants these bounds use). For any model: the autoencoder's judge and
the own-model kit's (tf1-trace-compare) both call it.

Kernels: tensorflow/core/kernels/training_ops.cc (ApplyAdam,
ApplyGradientDescent, ApplyMomentum, ApplyRMSProp), as docs/numerics.md
section 2 cites for Adam. Each correctly rounded operation adds u times
its result; a quotient DIVISION_ROUNDINGS (it may be a product by a
reciprocal).
"""

from __future__ import annotations

import math

import numpy as np

from tf1kit.float32.bounds import DIVISION_ROUNDINGS, U

# The optimizers judged, by TF1 class name, and the slot names they use.
SLOTS = {"AdamOptimizer": ("m", "v"), "GradientDescentOptimizer": (),
         "MomentumOptimizer": ("momentum",), "RMSPropOptimizer": ("rms", "momentum")}


def f32(value) -> float:
    """A hyperparameter as TF1's kernel sees it: a float32 constant."""
    return float(np.float32(value))


def one_minus(value) -> float:
    """TF1's `T(1) - beta()`, subtracted in float32 (trap T5)."""
    return float(np.float32(1) - np.float32(value))


def tf1_power(beta, step: int) -> float:
    """TF1's float32 beta power variable before step `step` (1 = the first):
    beta, multiplied by beta in float32 after each step."""
    power = np.float32(beta)
    for _ in range(step - 1):
        power = np.float32(power * np.float32(beta))
    return float(power)


def adam_alpha(lr: float, power1: float, power2: float) -> tuple[float, float]:
    """(alpha, its relative bound in units of u) from float32 powers:
    lr * sqrt(1 - beta2_power) / (1 - beta1_power); each subtraction is exact
    while its power is at least 0.5 (Sterbenz)."""
    # A power of 1 or more (a beta past 1) has no real alpha: NaN, judged
    # beyond every bound.
    alpha = lr * math.sqrt(1 - power2) / (1 - power1) if power2 < 1 and power1 != 1 \
        else math.nan
    return alpha, 2 + DIVISION_ROUNDINGS + (power1 < 0.5) + (power2 < 0.5)


def adam(hyper: dict, powers: tuple, weight, slots: dict, gradient, after: dict) -> dict:
    """{name: (float64 value, bound)} of Adam's m, v and new weight from the
    side's own inputs; `after` holds the side's own m and v after the step
    (the weight is computed from them, as the kernel does)."""
    lr, beta1, beta2, epsilon = (f32(hyper[key]) for key in (
        "learning_rate", "beta1", "beta2", "epsilon"))
    g, m0, v0, w0 = (np.asarray(x, np.float64) for x in (gradient, slots["m"], slots["v"],
                                                         weight))
    step_m = (g - m0) * one_minus(beta1)  # m += (g - m) * (1 - beta1)
    m = m0 + step_m
    square = g * g
    step_v = (square - v0) * one_minus(beta2)  # v += (g^2 - v) * (1 - beta2)
    v = v0 + step_v
    alpha, alpha_roundings = adam_alpha(lr, *powers)
    m_own, v_own = (np.asarray(after[key], np.float64) for key in ("m", "v"))
    # var -= m * alpha / (sqrt(v) + epsilon): product, sqrt, sum, quotient.
    quotient = m_own * alpha / (np.sqrt(v_own) + epsilon)
    quotient_bound = (alpha_roundings + 3 + DIVISION_ROUNDINGS) * U * np.abs(quotient)
    new = w0 - quotient
    return {"m": (m, U * (2 * np.abs(step_m) + np.abs(m))),
            "v": (v, U * (np.abs(square) * one_minus(beta2) + 2 * np.abs(step_v) + np.abs(v))),
            "weight": (new, quotient_bound + U * np.abs(new))}


def judged(optimizer: dict, step: int, weight, slots: dict, gradient, after: dict):
    """{name: (float64 value, bound)} for the weight and slots of one
    variable after step `step` (1 = the first), from the side's own state
    before it (`weight`, `slots` by TF1 slot name) and own gradient; None
    for an optimizer or setting not judged. `optimizer` is a trace's record
    ({"class", "hyperparameters"})."""
    kind, h = optimizer.get("class"), optimizer.get("hyperparameters", {})
    if kind not in SLOTS or h.get("learning_rate") is None:
        return None
    lr = f32(h["learning_rate"])
    w0, g = np.asarray(weight, np.float64), np.asarray(gradient, np.float64)
    if kind == "AdamOptimizer":
        powers = (tf1_power(h["beta1"], step), tf1_power(h["beta2"], step))
        return adam(h, powers, weight, slots, gradient, after)
    if kind == "GradientDescentOptimizer":  # var -= lr * grad
        new = w0 - lr * g
        return {"weight": (new, U * (np.abs(lr * g) + np.abs(new)))}
    if kind == "MomentumOptimizer":
        momentum = f32(h["momentum"])
        # accum = accum * momentum + grad
        product = np.asarray(slots["momentum"], np.float64) * momentum
        accumulation = product + g
        own = np.asarray(after["momentum"], np.float64)
        if h.get("use_nesterov"):  # var -= grad * lr + accum * momentum * lr
            terms = (np.abs(g * lr), np.abs(own * momentum * lr))
            change = g * lr + own * momentum * lr
            change_bound = U * (terms[0] + 2 * terms[1] + np.abs(change))
        else:  # var -= lr * accum
            change = lr * own
            change_bound = U * np.abs(change)
        new = w0 - change
        return {"momentum": (accumulation, U * (np.abs(product) + np.abs(accumulation))),
                "weight": (new, change_bound + U * np.abs(new))}
    if h.get("centered"):
        return None
    decay, momentum, epsilon = (f32(h.get(key) or 0.0) for key in ("decay", "momentum",
                                                                   "epsilon"))
    # ms += (grad^2 - ms) * (1 - rho); mom = mom * momentum + lr * grad / sqrt(ms + eps);
    # var -= mom
    square = g * g
    step_ms = (square - np.asarray(slots["rms"], np.float64)) * one_minus(decay)
    ms = np.asarray(slots["rms"], np.float64) + step_ms
    ms_own = np.asarray(after["rms"], np.float64)
    scaled = lr * g / np.sqrt(ms_own + epsilon)
    carried = np.asarray(slots["momentum"], np.float64) * momentum
    mom = carried + scaled
    mom_own = np.asarray(after["momentum"], np.float64)
    new = w0 - mom_own
    return {"rms": (ms, U * (np.abs(square) * one_minus(decay) + 2 * np.abs(step_ms)
                             + np.abs(ms))),
            "momentum": (mom, U * ((3 + DIVISION_ROUNDINGS) * np.abs(scaled) + np.abs(carried)
                                   + np.abs(mom))),
            "weight": (new, U * np.abs(new))}
