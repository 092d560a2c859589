"""The float64 referee: its hand-written step against TensorFlow's float64
autodiff, ulp distances, and its judgement on constructed cases."""

import numpy as np
import pytest
import tensorflow as tf

from common.config import Hyperparameters
from common.architecture import (BIAS_NAMES, HALF_OUTPUTS, LAYER_NAMES, LINEAR_LAYER,
                                 PARAMETER_NAMES, WEIGHT_NAMES)
from common.steps import TrainingState, TracedTensor
from common.variants import Variant
from parity import divergence, referee

# float64 arithmetic in two different orders (numpy by hand, TF's autodiff):
# relative agreement to ~1e-12 of the largest value of each tensor.
AUTODIFF_RTOL = 1e-9
SIZES = (12, 7, 5, 3, 2)  # a small network of the original's shape


def small_state(seed=0, step=3):
    rng = np.random.RandomState(seed)
    sizes = SIZES + SIZES[-2::-1]
    shapes = {}
    for i, (weight, bias) in enumerate(zip(WEIGHT_NAMES, BIAS_NAMES)):
        shapes[weight], shapes[bias] = (sizes[i], sizes[i + 1]), (sizes[i + 1],)
    weights = {name: rng.randn(*shape).astype(np.float32) for name, shape in shapes.items()}
    m = {name: (0.01 * rng.randn(*shape)).astype(np.float32) for name, shape in shapes.items()}
    v = {name: (0.001 * rng.rand(*shape)).astype(np.float32) for name, shape in shapes.items()}
    return TrainingState(weights, m, v, step, np.float32(0.9 ** (step + 1)),
                         np.float32(0.999 ** (step + 1)))


def tf_float64_loss_and_gradients(state, inputs, targets, variant):
    variables = {name: tf.Variable(np.asarray(state.weights[name], np.float64))
                 for name in PARAMETER_NAMES}
    with tf.GradientTape() as tape:
        x, hidden = tf.constant(inputs, tf.float64), []
        for layer, weight, bias in zip(LAYER_NAMES, WEIGHT_NAMES, BIAS_NAMES):
            z = tf.matmul(x, variables[weight]) + variables[bias]
            x = z if layer == LINEAR_LAYER else tf.sigmoid(z)
            if layer not in HALF_OUTPUTS:
                hidden.append((weight, x))
        loss = tf.reduce_mean((tf.constant(targets, tf.float64) - x) ** 2)
        if variant.sparse:
            rho, beta = variant.sparsity_target, variant.sparsity_weight
            by_weight = dict(hidden)
            for weight in WEIGHT_NAMES:
                if variant.weight_decay:
                    loss += variant.weight_decay / 2 * tf.reduce_sum(variables[weight] ** 2)
                if weight in by_weight:
                    rho_hat = tf.reduce_mean(by_weight[weight], 0)
                    loss += beta * tf.reduce_sum(rho * tf.math.log(rho / rho_hat) + (1 - rho)
                                                 * tf.math.log((1 - rho) / (1 - rho_hat)))
    gradients = tape.gradient(loss, variables)
    return float(loss), {name: g.numpy() for name, g in gradients.items()}


@pytest.mark.parametrize("variant", [Variant(), Variant("sparse", sparsity_weight=0.5,
                                                        weight_decay=0.01)])
def test_the_referee_step_equals_float64_autodiff(variant):
    state = small_state()
    rng = np.random.RandomState(1)
    inputs = rng.rand(6, SIZES[0]).astype(np.float32)
    targets = rng.rand(6, SIZES[0]).astype(np.float32)
    exact = referee.reference_step(state, inputs, targets, Hyperparameters(), variant)
    loss, gradients = tf_float64_loss_and_gradients(state, inputs, targets, variant)
    assert exact["cost"] == pytest.approx(loss, rel=AUTODIFF_RTOL)
    for name in PARAMETER_NAMES:
        np.testing.assert_allclose(exact[f"{name}@gradient"], gradients[name], rtol=0,
                                   atol=AUTODIFF_RTOL * np.abs(gradients[name]).max())


def test_the_referee_adam_is_tf1s_formula():
    state, hyper = small_state(step=0), Hyperparameters()
    gradient = {name: np.full(np.shape(state.weights[name]), 0.5) for name in PARAMETER_NAMES}
    out = referee.reference_adam(state, gradient, hyper)
    name = "encoder_b1"
    m = state.m[name] + (0.5 - state.m[name].astype(np.float64)) * 0.1
    v = state.v[name] + (0.25 - state.v[name].astype(np.float64)) * 0.001
    alpha = hyper.learning_rate * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(out[f"{name}@update"], -m * alpha / (np.sqrt(v) + 1e-8),
                               rtol=1e-15)
    assert out["beta1_power"] == pytest.approx(0.9 ** 2)


def test_ulp_distance_counts_representable_floats():
    one = np.float32(1)
    up = np.nextafter(one, np.float32(2))
    assert divergence.ulp_distance(one, up) == 1
    assert divergence.ulp_distance(np.float32(0.0), np.float32(-0.0)) == 0
    tiny = np.nextafter(np.float32(0), np.float32(1))
    assert divergence.ulp_distance(tiny, -tiny) == 2  # across zero
    assert referee.ulps_from(np.float32(1.0), 1.0 + 2 ** -24) == pytest.approx(0.5)


def constructed(legacy_ulps, modern_ulps):
    """Two float32 copies of one float64 vector, each pushed that many ulps
    off the correctly rounded value, with the vector as their referee."""
    exact = np.linspace(1.0, 2.0, 50)[:-1] + 1e-9
    nearest = exact.astype(np.float32)

    def off(count):
        values = nearest.copy()
        for _ in range(count):
            values = np.nextafter(values, np.float32(3))
        return values
    traces = {"legacy": {("gradient", "encoder_b1"): off(legacy_ulps)},
              "modern": {("gradient", "encoder_b1"): off(modern_ulps)}}
    differing = divergence.compare_traces(
        [TracedTensor("gradient", "encoder_b1", off(legacy_ulps))],
        [TracedTensor("gradient", "encoder_b1", off(modern_ulps))])
    lookups = {side: (lambda kind, name: exact) for side in ("legacy", "modern")}
    return divergence.referee_distances(differing, traces, lookups)["gradient encoder_b1"]


def test_the_referee_measures_each_side_in_ulps_from_exact():
    distances = constructed(legacy_ulps=0, modern_ulps=6)
    assert distances["legacy_ulp"] < 0.5 < 5 < distances["modern_ulp"] < 6.5
    distances = constructed(legacy_ulps=8, modern_ulps=0)
    assert distances["modern_ulp"] < 0.5 < 7 < distances["legacy_ulp"] < 8.5
