"""The faithful port: reproducible, learning, shaped like the original."""

import numpy as np
import pytest

from common import sources
from common.config import Hyperparameters
from legacy import autoencoder, training
from tf1kit.data import input_data

SHORT = Hyperparameters(training_epochs=3)
SHORT_STEPS = 20  # 3 x 20 = 60 steps: seconds, enough for the loss to fall


def load_sample(seed):
    return input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=seed)


def short_run(seed=5, **kwargs):
    options = dict(graph_seed=seed, data_seed=seed, steps_per_epoch=SHORT_STEPS, log=lambda line: None)
    options.update(kwargs)
    return training.train(load_sample(seed), SHORT, **options)


@pytest.fixture(scope="module")
def first_run():
    return short_run()


def test_same_seeds_give_identical_per_step_losses(first_run):
    again = short_run()
    assert again.step_losses.tobytes() == first_run.step_losses.tobytes()
    assert again.test_codes.tobytes() == first_run.test_codes.tobytes()


def test_loss_falls(first_run):
    losses = first_run.step_losses
    assert len(losses) == 3 * SHORT_STEPS
    assert losses[-10:].mean() < 0.5 * losses[:10].mean()


def test_codes_have_one_2d_code_per_test_image(first_run):
    assert first_run.test_codes.shape == (1000, 2)
    assert first_run.test_codes.dtype == np.float32
    assert first_run.test_labels.shape == (1000,)


def test_printed_cost_is_last_batch_of_each_epoch(first_run):
    assert first_run.epoch_costs == [float(first_run.step_losses[i * SHORT_STEPS - 1])
                                     for i in (1, 2, 3)]


def test_parameters_have_original_names_shapes_and_count(first_run):
    shapes = autoencoder.parameter_shapes(Hyperparameters())
    assert shapes["encoder_h1"] == (784, 128) and shapes["decoder_h4"] == (128, 784)
    assert shapes["encoder_b4"] == (2,) and shapes["decoder_b4"] == (784,)
    assert sum(int(np.prod(s)) for s in shapes.values()) == 219_598
    assert {k: v.shape for k, v in first_run.initial_weights.items()} == shapes


def test_initialisation_follows_tf1_defaults(first_run):
    kernel = first_run.initial_weights["encoder_h1"]
    bias = first_run.initial_weights["decoder_b4"]
    # truncated_normal(stddev=1): |x| <= 2 and std ~0.88; random_normal(stddev=1): std ~1.
    assert np.abs(kernel).max() <= 2.0
    assert 0.85 < kernel.std() < 0.91
    assert 0.9 < bias.std() < 1.1 and np.abs(bias).max() > 2.0


def test_given_initial_weights_replace_the_seeded_ones(first_run):
    other_seed = short_run(graph_seed=99, initial_weights=first_run.initial_weights)
    assert other_seed.step_losses.tobytes() == first_run.step_losses.tobytes()
    unseeded_start = short_run(graph_seed=99)
    assert not np.array_equal(unseeded_start.initial_weights["encoder_h1"],
                              first_run.initial_weights["encoder_h1"])


def test_data_seed_needs_a_fresh_dataset():
    mnist = load_sample(1)
    mnist.train.next_batch(10)
    with pytest.raises(ValueError, match="fresh data set"):
        training.train(mnist, SHORT, data_seed=1, steps_per_epoch=1, log=lambda line: None)
