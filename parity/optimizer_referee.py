"""One optimizer step in float64, by TF1's formulas, for any model: from a
state (weights and slots) and a side's own gradients, what the update
should be in exact arithmetic. Two sides whose slots or weights part can
each be measured against it: which side's optimizer drifted, whatever the
model (the model's own math, the gradients, is not known for a general
script; the optimizer's is).

Formulas: tensorflow/core/kernels/training_ops.cc (ApplyAdam,
ApplyGradientDescent, ApplyMomentum, ApplyRMSProp), as docs/numerics.md
section 2 cites for Adam.
"""

from __future__ import annotations

import numpy as np

# The optimizers refereed, by TF1 class name, and the slot names they use.
SUPPORTED = {"AdamOptimizer": ("m", "v"), "GradientDescentOptimizer": (),
             "MomentumOptimizer": ("momentum",), "RMSPropOptimizer": ("rms", "momentum")}


def step(optimizer: dict, number: int, weight, slots: dict, gradient) -> dict | None:
    """{"weight": w', slot name: value'} in float64 after step `number`
    (1 = the first), or None for an optimizer not refereed. `optimizer` is
    a trace's record ({"class", "hyperparameters"}); `slots` the slot
    values before the step by TF1 slot name."""
    kind = optimizer.get("class")
    h = optimizer.get("hyperparameters", {})
    if kind not in SUPPORTED or h.get("learning_rate") is None:
        return None
    w, g = np.asarray(weight, np.float64), np.asarray(gradient, np.float64)
    lr = float(h["learning_rate"])
    if kind == "GradientDescentOptimizer":
        return {"weight": w - lr * g}
    if kind == "AdamOptimizer":
        beta1, beta2, epsilon = (float(h.get(key)) for key in ("beta1", "beta2", "epsilon"))
        m = beta1 * np.asarray(slots["m"], np.float64) + (1 - beta1) * g
        v = beta2 * np.asarray(slots["v"], np.float64) + (1 - beta2) * g * g
        alpha = lr * np.sqrt(1 - beta2 ** number) / (1 - beta1 ** number)
        return {"weight": w - alpha * m / (np.sqrt(v) + epsilon), "m": m, "v": v}
    if kind == "MomentumOptimizer":
        momentum = float(h["momentum"])
        accumulation = momentum * np.asarray(slots["momentum"], np.float64) + g
        update = g + momentum * accumulation if h.get("use_nesterov") else accumulation
        return {"weight": w - lr * update, "momentum": accumulation}
    decay, momentum, epsilon = (float(h.get(key) or 0.0) for key in ("decay", "momentum",
                                                                     "epsilon"))
    if h.get("centered"):
        return None
    ms = decay * np.asarray(slots["rms"], np.float64) + (1 - decay) * g * g
    mom = momentum * np.asarray(slots["momentum"], np.float64) + lr * g / np.sqrt(ms + epsilon)
    return {"weight": w - mom, "rms": ms, "momentum": mom}
