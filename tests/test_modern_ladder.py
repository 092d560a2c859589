"""The migration guide's ladder, modern/ against legacy/: variables, forward
pass, one step, N steps (bit for bit in the exact configuration)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from common import sources
from common.config import Hyperparameters
from tf1kit.data import input_data as legacy_input_data
from legacy import training as legacy_training
from modern import autoencoder, checkpoints, input_data, training
from modern.batches import Loop
from modern.options import EXACT, IDIOMATIC, preset

# Idiomatic layers add the bias with BiasAdd instead of AddV2: same forward
# arithmetic, so codes agree to float32 rounding of the sums (|codes| < 10,
# float32 ulp there ~1e-6).
IDIOMATIC_FORWARD_ATOL = 1e-5
SEED = 4


def legacy_run(steps, epochs=1, seed=SEED):
    mnist = legacy_input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=seed)
    return legacy_training.train(mnist, Hyperparameters(training_epochs=epochs),
                                    graph_seed=seed, data_seed=seed, steps_per_epoch=steps,
                                    log=lambda line: None)


def tf1_batches(count, seed=SEED):
    """The batch sequence legacy's loop consumed, rebuilt the same way."""
    mnist = legacy_input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=seed)
    np.random.seed(seed)
    return [mnist.train.next_batch(256)[0] for _ in range(count)]


@pytest.fixture(scope="module")
def arrays():
    return input_data.load(sources.DataSource("sample"))


@pytest.fixture(scope="module")
def legacy_50():
    return legacy_run(steps=50)


def modern_run(arrays, legacy, exact, steps):
    return training.train(arrays, Hyperparameters(training_epochs=1), preset(exact), seed=SEED,
                          initial_weights=legacy.initial_weights,
                          loop=Loop(batches=tf1_batches(steps), steps_per_epoch=steps,
                                    log=lambda line: None, show_progress=False))


def test_variables_match_legacy_in_count_names_and_shapes(legacy_50):
    model = autoencoder.build_model(Hyperparameters(), seed=0, options=EXACT)
    assert model.count_params() == 219_598
    assert len(model.trainable_variables) == 16
    modern_shapes = {k: v.shape for k, v in checkpoints.get_original_weights(model).items()}
    assert modern_shapes == {k: v.shape for k, v in legacy_50.initial_weights.items()}


def test_initializers_reproduce_the_originals_distributions():
    weights = checkpoints.get_original_weights(
        autoencoder.build_model(Hyperparameters(), seed=0, options=IDIOMATIC))
    kernel, bias = weights["encoder_h1"], weights["decoder_b4"]
    assert np.abs(kernel).max() <= 2.0 and 0.85 < kernel.std() < 0.91  # truncated at 2 sd
    assert 0.9 < bias.std() < 1.1


def test_same_seed_same_initial_weights_different_seed_different():
    first = checkpoints.get_original_weights(autoencoder.build_model(Hyperparameters(), 1, EXACT))
    again = checkpoints.get_original_weights(autoencoder.build_model(Hyperparameters(), 1, EXACT))
    other = checkpoints.get_original_weights(autoencoder.build_model(Hyperparameters(), 2, EXACT))
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["encoder_h1"], other["encoder_h1"])


@pytest.mark.parametrize("exact", [True, False])
def test_forward_pass_with_legacy_weights_gives_legacys_codes(arrays, legacy_50, exact):
    model = autoencoder.build_model(Hyperparameters(), seed=0, options=preset(exact))
    checkpoints.set_original_weights(model, legacy_50.final_weights)
    codes = tf.function(model.encode)(tf.constant(arrays.test_images)).numpy()
    if exact:
        assert codes.tobytes() == legacy_50.test_codes.tobytes()
    else:
        np.testing.assert_allclose(codes, legacy_50.test_codes, rtol=0, atol=IDIOMATIC_FORWARD_ATOL)


def test_one_step_is_bit_identical_in_exact_configuration(arrays):
    legacy = legacy_run(steps=1)
    modern = modern_run(arrays, legacy, exact=True, steps=1)
    assert modern.step_losses.tobytes() == legacy.step_losses.tobytes()
    for key, value in legacy.final_weights.items():
        assert modern.final_weights[key].tobytes() == value.tobytes(), key


def test_fifty_steps_are_bit_identical_in_exact_configuration(arrays, legacy_50):
    modern = modern_run(arrays, legacy_50, exact=True, steps=50)
    assert modern.step_losses.tobytes() == legacy_50.step_losses.tobytes()
    assert modern.test_codes.tobytes() == legacy_50.test_codes.tobytes()


def test_idiomatic_configuration_drifts_from_legacy(arrays, legacy_50):
    modern = modern_run(arrays, legacy_50, exact=False, steps=50)
    # Step 1's loss is computed before any update: the same forward pass.
    assert modern.step_losses[0] == pytest.approx(legacy_50.step_losses[0], abs=1e-7)
    # After updates, stock Adam's and BiasAdd's rounding make it differ.
    assert not np.array_equal(modern.step_losses, legacy_50.step_losses)


def test_fit_with_shuffle_false_equals_the_custom_loop(arrays, legacy_50):
    batches = tf1_batches(20)
    hyper = Hyperparameters(training_epochs=1)
    model = autoencoder.build_model(hyper, seed=SEED, options=EXACT)
    checkpoints.set_original_weights(model, legacy_50.initial_weights)
    fit_losses = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: fit_losses.append(np.float32(logs["cost"])))
    model.compile(optimizer=autoencoder.make_optimizer(hyper, EXACT), jit_compile=False)
    model.fit(np.concatenate(batches), batch_size=256, epochs=1, shuffle=False, verbose=0,
              callbacks=[record])
    assert np.asarray(fit_losses, np.float32).tobytes() == legacy_50.step_losses[:20].tobytes()


@pytest.mark.slow
@pytest.mark.parametrize("options", [IDIOMATIC], ids=["idiomatic"])  # what users fit
def test_our_fit_running_an_epoch_per_call_trains_exactly_as_one_step_per_call(arrays, options):
    hyper = Hyperparameters(training_epochs=2)
    images = arrays.train_images[:20 * 256]
    weights = []
    for steps_per_execution in (None, 1):
        model = autoencoder.build_model(hyper, seed=SEED, options=options)
        if steps_per_execution is None:  # as shipped: a whole epoch per call
            history = training.fit(model, images, hyper, shuffle=False, verbose=0,
                                   log=lambda line: None)
        else:
            model.compile(optimizer=autoencoder.make_optimizer(hyper, options),
                          jit_compile=False, steps_per_execution=1)
            history = model.fit(images, batch_size=256, epochs=2, shuffle=False, verbose=0)
        weights.append((history.history["cost"], checkpoints.get_original_weights(model)))
    (costs, final), (costs_per_step, final_per_step) = weights
    assert model.steps_per_execution == 1 and costs == costs_per_step
    assert all(final[name].tobytes() == final_per_step[name].tobytes() for name in final)


@pytest.mark.parametrize("options", [EXACT, pytest.param(IDIOMATIC, marks=pytest.mark.slow)],
                         ids=["exact", "idiomatic"])
def test_the_in_graph_default_trains_exactly_as_the_per_step_loop(arrays, options):
    # In-graph: batches gathered from the resident training set by index, in
    # the tf.data order; per step: the tf.data pipeline's own batches.
    hyper = Hyperparameters(training_epochs=2)
    runs = [training.train(arrays, hyper, options, seed=SEED,
                           loop=Loop(steps_per_epoch=25, steps_per_call=calls,
                                     log=lambda line: None, show_progress=False))
            for calls in (25, 1)]
    assert runs[0].step_losses.tobytes() == runs[1].step_losses.tobytes()
    assert all(runs[0].final_weights[k].tobytes() == runs[1].final_weights[k].tobytes()
               for k in runs[1].final_weights)


def test_index_batches_follow_the_tf_data_order(arrays):
    images = arrays.train_images
    pipeline = [x.numpy() for x, _ in input_data.make_dataset(images, 256, 3).take(20)]
    indexed = [images[i.numpy()] for i in input_data.make_index_dataset(len(images), 256,
                                                                        3).take(20)]
    assert all(np.array_equal(a, b) for a, b in zip(pipeline, indexed))


def test_standalone_tf_data_pipeline_is_seeded(arrays):
    def take(seed):
        return [(x.numpy(), y.numpy())
                for x, y in input_data.make_dataset(arrays.train_images, 256, seed).take(17)]
    first, again, other = take(3), take(3), take(4)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, again))
    assert not np.array_equal(first[0][0], other[0][0])
    assert all(x.shape == (256, 784) for x, _ in first)  # full batches across passes
    assert all(np.array_equal(x, y) for x, y in first)   # deep: inputs are the targets


def test_test_cost_and_reconstructions_match_legacy_exactly(arrays, legacy_50):
    modern = modern_run(arrays, legacy_50, exact=True, steps=50)
    assert modern.test_cost == legacy_50.test_cost
    assert modern.test_reconstructions.shape == (10, 784)
    assert modern.test_reconstructions.tobytes() == legacy_50.test_reconstructions.tobytes()


@pytest.mark.parametrize("variant_name", ["deep", pytest.param("sparse", marks=pytest.mark.slow)])
def test_in_graph_loop_is_bit_identical_to_legacy(arrays, variant_name):
    from common.variants import Variant
    variant = Variant(variant_name)
    hyper = Hyperparameters(training_epochs=2)
    mnist = legacy_input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=SEED)
    legacy = legacy_training.train(mnist, hyper, graph_seed=SEED, data_seed=SEED,
                                      steps_per_epoch=25, variant=variant, log=lambda line: None)
    # 25 steps per epoch in calls of 10: chunks of 10, 10, 5 that stop at the epoch's end.
    modern = training.train(arrays, hyper, EXACT, seed=SEED, variant=variant,
                            initial_weights=legacy.initial_weights,
                            loop=Loop(batches=tf1_batches(50), steps_per_epoch=25,
                                      steps_per_call=10, log=lambda line: None,
                                      show_progress=False))
    assert modern.step_losses.tobytes() == legacy.step_losses.tobytes()
    assert modern.epoch_costs == legacy.epoch_costs


def test_resident_data_in_graph_loop_is_bit_identical_to_legacy(arrays, legacy_50):
    hyper = Hyperparameters(training_epochs=1)
    model = autoencoder.build_model(hyper, seed=SEED, options=EXACT)
    checkpoints.set_original_weights(model, legacy_50.initial_weights)
    train_steps = training.make_multi_step(model, autoencoder.make_optimizer(hyper, EXACT),
                                              images=arrays.train_images)
    indices = np.stack(legacy_input_data.tf1_batch_indices(len(arrays.train_images), 256, 50, SEED))
    losses = np.concatenate([train_steps(indices[:30].astype(np.int32)).numpy(),
                             train_steps(indices[30:].astype(np.int32)).numpy()])
    assert losses.tobytes() == legacy_50.step_losses.tobytes()
