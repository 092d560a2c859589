"""The float64 referee: one training step of the original program in plain
numpy float64, from a given state and batch, so that two float32 sides
that disagree can each be measured against exact arithmetic.

The model is small enough to write out: eight dense layers (sigmoid, a
linear code layer), the mean squared error, the sparse variant's KL and
weight-decay terms, their gradients by hand, and Adam as TF1's kernel
computes it (docs/numerics.md section 2), with the hyperparameters as the
real numbers they denote (beta 0.9, not float32's 0.89999998).
"""

from __future__ import annotations

import numpy as np

from common.architecture import (BIAS_NAMES, HALF_OUTPUTS, LAYER_NAMES, LINEAR_LAYER,
                                 PARAMETER_NAMES, WEIGHT_NAMES)
from common.variants import RHO_HAT_EPSILON



def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_step(state, inputs, targets, hyper, variant) -> dict:
    """{trace name: float64 array} for the forward and backward pass of one
    step (activations, losses, and gradients under "name@gradient") from
    `state` on (inputs, targets); targets None means the inputs. Adam's
    part is `reference_adam`, given whichever gradients it should judge."""
    x = np.asarray(inputs, np.float64)
    t = x if targets is None else np.asarray(targets, np.float64)
    W = {name: np.asarray(state.weights[name], np.float64) for name in PARAMETER_NAMES}
    out = {}
    outputs = [x]
    for layer, weight, bias in zip(LAYER_NAMES, WEIGHT_NAMES, BIAS_NAMES):
        z = outputs[-1] @ W[weight] + W[bias]
        a = z if layer == LINEAR_LAYER else _sigmoid(z)
        out[f"{layer}/z"], out[f"{layer}/a"] = z, a
        outputs.append(a)
    prediction = outputs[-1]
    reconstruction = np.mean((t - prediction) ** 2)
    penalties, extra = [], {}  # extra: d(penalties)/d(activation) per hidden layer
    if variant.sparse:
        rho, beta = variant.sparsity_target, variant.sparsity_weight
        for i, (layer, weight) in enumerate(zip(LAYER_NAMES, WEIGHT_NAMES)):
            if variant.weight_decay:
                penalties.append(variant.weight_decay / 2 * np.sum(W[weight] ** 2))
            if layer in HALF_OUTPUTS:
                continue  # the KL term is on the sigmoid hidden layers only
            a = outputs[i + 1]
            raw = a.mean(axis=0)
            rho_hat = np.clip(raw, RHO_HAT_EPSILON, 1 - RHO_HAT_EPSILON)
            penalties.append(beta * np.sum(rho * np.log(rho / rho_hat)
                                           + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))
            inside = (raw > RHO_HAT_EPSILON) & (raw < 1 - RHO_HAT_EPSILON)  # clip passes a gradient
            grad_rho_hat = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) * inside
            extra[i + 1] = np.broadcast_to(grad_rho_hat / a.shape[0], a.shape)
    cost = reconstruction + sum(penalties)
    out["cost"] = np.float64(cost)
    if penalties:
        out["reconstruction"] = np.float64(reconstruction)
        out.update({f"penalty_{i}": np.float64(p) for i, p in enumerate(penalties, start=1)})
    # Backward pass.
    gradients = {}
    upstream = 2.0 * (prediction - t) / t.size
    for i in range(len(LAYER_NAMES), 0, -1):
        layer, weight, bias = LAYER_NAMES[i - 1], WEIGHT_NAMES[i - 1], BIAS_NAMES[i - 1]
        a = outputs[i]
        if i in extra:
            upstream = upstream + extra[i]
        dz = upstream if layer == LINEAR_LAYER else upstream * a * (1 - a)
        gradients[weight] = outputs[i - 1].T @ dz
        if variant.sparse and variant.weight_decay:
            gradients[weight] = gradients[weight] + variant.weight_decay * W[weight]
        gradients[bias] = dz.sum(axis=0)
        upstream = dz @ W[weight].T
    out.update({name + "@gradient": g for name, g in gradients.items()})
    return out


def reference_adam(state, gradients: dict, hyper) -> dict:
    """Adam's slots, updates and new weights in exact arithmetic, TF1's
    kernel's formula, from `state` and the given gradients (float64 or a
    side's own float32 ones: then it referees the optimizer alone)."""
    b1, b2, eps, lr = hyper.adam_beta1, hyper.adam_beta2, hyper.adam_epsilon, hyper.learning_rate
    step = state.step + 1
    alpha = lr * np.sqrt(1 - b2 ** step) / (1 - b1 ** step)
    out = {}
    for name in PARAMETER_NAMES:
        g = np.asarray(gradients[name], np.float64)
        m_before = np.asarray(state.m[name], np.float64)
        v_before = np.asarray(state.v[name], np.float64)
        m = m_before + (g - m_before) * (1 - b1)
        v = v_before + (g * g - v_before) * (1 - b2)
        update = -m * alpha / (np.sqrt(v) + eps)
        out[f"m/{name}"], out[f"v/{name}"] = m, v
        out[name + "@update"] = update
        out[name + "@weight"] = np.asarray(state.weights[name], np.float64) + update
    out["beta1_power"], out["beta2_power"] = np.float64(b1 ** (step + 1)), np.float64(b2 ** (step + 1))
    return out


def reference_of(reference: dict, kind: str, name: str):
    """The referee's value for one traced tensor, or None (input, initial)."""
    if kind in ("gradient", "update", "weight"):
        return reference.get(f"{name}@{kind}")
    if kind in ("input", "initial"):
        return None
    return reference.get(name)


def exact_pixels(images):
    """The exact values k/255 of pixel-valued float32 images, or None when
    the values are not pixels (noise was added): the referee of `input`."""
    values = np.asarray(images, np.float64)
    levels = np.rint(values * 255)
    if np.max(np.abs(values * 255 - levels), initial=0) > 1e-3:
        return None
    return levels / 255


def ulps_from(values, reference) -> np.ndarray:
    """Each float32 value's distance from the float64 reference, in units of
    the float32 spacing at the reference (fractional: 0.5 = half an ulp)."""
    reference = np.asarray(reference, np.float64)
    spacing = np.spacing(np.maximum(np.abs(reference), np.finfo(np.float32).tiny)
                         .astype(np.float32)).astype(np.float64)
    return np.abs(np.asarray(values, np.float64) - reference) / spacing
