"""Sparse and denoising autoencoders: penalty, corruption, parity, behaviour."""

import numpy as np
import pytest
import tensorflow as tf

from common import sources
from common import variants as common_variants
from common.config import Hyperparameters
from common.variants import Variant, corrupt
from legacy import autoencoder as legacy_autoencoder
from legacy import variants as legacy_variants
from modern import autoencoder as modern_autoencoder
from modern import input_data
from modern import training as modern_training
from modern.batches import Loop
from modern import variants as modern_variants
from modern.options import EXACT
from tests.helpers import run_module

# float32 graph arithmetic against the float64 numpy reference: a few ulp
# of a sum over up to 128 units.
KL_RTOL = 1e-5
RHO, BETA = 0.05, 3.0


@pytest.fixture(scope="module")
def activations():
    rng = np.random.RandomState(0)
    return rng.beta(0.5, 2.0, size=(256, 64)).astype(np.float32)


def legacy_penalty(values):
    return float(legacy_variants.sparsity_penalty(tf.constant(values), RHO, BETA))


def modern_penalty(values):
    layer = modern_variants.SparsityPenalty(RHO, BETA)
    layer(tf.constant(values))
    return float(layer.losses[0])


@pytest.mark.parametrize("penalty", [legacy_penalty, modern_penalty])
def test_kl_penalty_equals_numpy_reference(activations, penalty):
    expected = BETA * common_variants.kl_divergence_reference(RHO, activations)
    assert penalty(activations) == pytest.approx(expected, rel=KL_RTOL)


def gradient_on_activations(values):
    values = tf.Variable(values)
    with tf.GradientTape() as tape:
        loss = legacy_variants.sparsity_penalty(values, RHO, BETA)
    return loss, tape.gradient(loss, values)


@pytest.mark.parametrize("mean, sign", [(0.5, 1.0), (0.01, -1.0)])
def test_gradient_pushes_rho_hat_toward_rho(mean, sign):
    values = np.full((32, 8), mean, dtype=np.float32)
    _, gradient = gradient_on_activations(values)
    # Gradient descent moves activations against the gradient: down when
    # rho_hat > rho, up when rho_hat < rho.
    assert np.all(np.sign(gradient.numpy()) == sign)


@pytest.mark.parametrize("saturated", [0.0, 1.0])
def test_no_nan_when_activations_saturate(saturated):
    loss, gradient = gradient_on_activations(np.full((16, 4), saturated, dtype=np.float32))
    assert np.isfinite(float(loss)) and np.all(np.isfinite(gradient.numpy()))
    assert np.isfinite(modern_penalty(np.full((16, 4), saturated, dtype=np.float32)))


@pytest.fixture(scope="module")
def batch():
    return input_data.load(sources.DataSource("sample")).train_images[:256]


def test_masking_zeroes_the_expected_fraction_without_rescaling(batch):
    corrupted = corrupt(batch, "masking", 0.25, seed=1, step=0)
    nonzero = batch > 0
    masked = np.mean(corrupted[nonzero] == 0)
    # Binomial sampling error of the fraction over ~40k pixels: 5 sigma < 0.011.
    assert masked == pytest.approx(0.25, abs=0.011)
    kept = corrupted != 0
    np.testing.assert_array_equal(corrupted[kept], batch[kept])  # untouched, not scaled


def test_gaussian_noise_stays_in_unit_interval(batch):
    corrupted = corrupt(batch, "gaussian", 0.5, seed=1, step=0)
    assert corrupted.dtype == np.float32
    assert corrupted.min() >= 0.0 and corrupted.max() <= 1.0
    assert np.mean(corrupted != batch) > 0.5


def test_salt_and_pepper_sets_the_fraction_to_zero_or_one(batch):
    corrupted = corrupt(batch, "salt-pepper", 0.2, seed=1, step=0)
    changed = corrupted != batch
    assert set(np.unique(corrupted[changed])) <= {0.0, 1.0}
    assert np.mean(corrupted[batch == 0] == 1.0) == pytest.approx(0.1, abs=0.01)


def test_noise_is_keyed_by_seed_and_step_and_differs_per_example(batch):
    first = corrupt(batch, "masking", 0.25, seed=3, step=7)
    np.testing.assert_array_equal(first, corrupt(batch, "masking", 0.25, seed=3, step=7))
    assert not np.array_equal(first, corrupt(batch, "masking", 0.25, seed=3, step=8))
    assert not np.array_equal(first, corrupt(batch, "masking", 0.25, seed=4, step=7))
    same_images = np.repeat(batch[:1], 2, axis=0)
    pair = corrupt(same_images, "masking", 0.25, seed=3, step=7)
    assert not np.array_equal(pair[0], pair[1])  # two examples, two draws


def test_both_packages_feed_the_same_noise(batch):
    variant = Variant("denoising", noise="gaussian")
    parts = legacy_autoencoder.build_graph(Hyperparameters(), 0, None, variant)
    legacy_feed = legacy_autoencoder.feed(parts, batch, variant, 5, 11)
    corrupted, clean = modern_variants.corrupting_map(variant, 5)(tf.constant(11, tf.int64),
                                                                  tf.constant(batch))
    np.testing.assert_array_equal(legacy_feed[parts.X], corrupted.numpy())
    np.testing.assert_array_equal(legacy_feed[parts.X_clean], clean.numpy())


@pytest.mark.parametrize("settings, message", [
    (dict(name="wide"), "variant must be one of"),
    (dict(name="sparse", sparsity_target=1.5), "sparsity target must be in (0, 1)"),
    (dict(name="denoising", noise="masking", noise_level=1.5), "must be in [0, 1]"),
    (dict(name="denoising", noise="blur"), "noise must be one of"),
])
def test_bad_variant_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        Variant(**settings)


@pytest.mark.parametrize("flags, message", [
    (["--variant", "deep", "--sparsity-weight", "1"], "--sparsity-weight applies to --variant sparse"),
    (["--variant", "sparse", "--sparsity-target", "0"], "expected a number in (0, 1), got 0"),
])
def test_variant_flag_errors_are_one_line_and_status_2(flags, message):
    result = run_module(["legacy", *flags])
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


BEHAVIOUR_STEPS = 400  # 2 x 200 steps on the sample: seconds, and the effects are clear


@pytest.fixture(scope="module")
def arrays():
    return input_data.load(sources.DataSource("sample"))


def modern_run(arrays, variant):
    return modern_training.train(arrays, Hyperparameters(training_epochs=2), EXACT, seed=1,
                                 variant=variant, loop=Loop(
                                     steps_per_epoch=BEHAVIOUR_STEPS // 2,
                                     log=lambda line: None, show_progress=False))


@pytest.fixture(scope="module")
def deep_run(arrays):
    return modern_run(arrays, Variant())


@pytest.mark.slow
def test_sparse_mean_activation_ends_closer_to_rho_than_deep(arrays, deep_run):
    sparse = modern_run(arrays, Variant("sparse"))
    target = sparse.variant_report and Variant("sparse").sparsity_target
    deep_mean = np.mean(np.concatenate([a.ravel() for a in modern_variants.hidden_activations(
        deep_run.model, arrays.test_images).values()]))
    sparse_mean = sparse.variant_report["overall_mean_activation"]
    assert abs(sparse_mean - target) < abs(deep_mean - target) / 2


@pytest.mark.slow
def test_denoising_beats_deep_on_corrupted_inputs(arrays, deep_run):
    variant = Variant("denoising")
    denoising = modern_run(arrays, variant)
    corrupted = corrupt(arrays.test_images, variant.noise, variant.level, 1,
                        common_variants.TEST_NOISE_STREAM)
    deep_on_corrupted = float(modern_autoencoder.reconstruction_loss(
        arrays.test_images, deep_run.model(corrupted)))
    assert denoising.variant_report["test_cost_corrupted_input"] < deep_on_corrupted
