"""Weights across implementations: numpy dicts, TF1 Saver checkpoints, .keras."""

import os

import numpy as np
import pytest
import tensorflow as tf

from common import sources
from common.config import Hyperparameters
from legacy import autoencoder as legacy_autoencoder
from tf1kit.data import input_data as legacy_input_data
from legacy import training as legacy_training
from modern import autoencoder, checkpoints, input_data
from modern.options import EXACT, preset

HYPER = Hyperparameters(training_epochs=1)


@pytest.fixture(scope="module")
def saved_legacy(tmp_path_factory):
    """A short legacy run that saved a TF1 Saver checkpoint, as a user would."""
    prefix = str(tmp_path_factory.mktemp("tf1") / "model.ckpt")
    mnist = legacy_input_data.read_data_sets(sources.SAMPLE_DIR, validation_size=0, seed=2)
    run = legacy_training.train(mnist, HYPER, graph_seed=2, data_seed=2, steps_per_epoch=10,
                                   checkpoint_path=prefix, log=lambda line: None)
    return run, prefix


@pytest.fixture(scope="module")
def test_images():
    return input_data.load(sources.DataSource("sample")).test_images


def encode(model, images):
    return tf.function(model.encode)(tf.constant(images)).numpy()


def test_checkpoint_uses_the_originals_unnamed_variable_names(saved_legacy):
    _, prefix = saved_legacy
    stored = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    assert stored["Variable"] == [784, 128]       # encoder_h1, created first
    assert stored["Variable_15"] == [784]         # decoder_b4, created last
    assert "Variable/Adam" in stored and "beta1_power" in stored


def test_checkpoint_files_are_what_a_tf1_saver_leaves_and_no_staging(saved_legacy):
    _, prefix = saved_legacy
    folder = os.path.dirname(prefix)
    assert sorted(os.listdir(folder)) == ["checkpoint", "model.ckpt.data-00000-of-00001",
                                          "model.ckpt.index", "model.ckpt.meta"]
    assert tf.train.latest_checkpoint(folder) == prefix


def test_tf1_checkpoint_import_gives_identical_codes(saved_legacy, test_images):
    run, prefix = saved_legacy
    model = autoencoder.build_model(HYPER, seed=0, options=EXACT)
    checkpoints.import_tf1_checkpoint(model, prefix)
    assert encode(model, test_images).tobytes() == run.test_codes.tobytes()


def write_tf1_checkpoint(prefix, shapes):
    graph = tf.Graph()
    with graph.as_default():
        for name, shape in shapes.items():
            tf.compat.v1.Variable(np.zeros(shape, np.float32), name=name)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, prefix)


def original_shapes_by_checkpoint_name():
    shapes = legacy_autoencoder.parameter_shapes(Hyperparameters())
    return {checkpoints.TF1_CHECKPOINT_NAMES[key]: shape for key, shape in shapes.items()}


def drop_encoder_h4(shapes):
    del shapes["Variable_3"]


def misshape_encoder_b2(shapes):
    shapes["Variable_9"] = (65,)


@pytest.mark.parametrize("damage, message", [
    (drop_encoder_h4, r"variable 'Variable_3' \(the original's encoder_h4\) is not in"),
    (misshape_encoder_b2, r"encoder_b2 has shape \(65,\), the model's .* needs \(64,\)"),
], ids=["missing-variable", "misshaped-variable"])
def test_a_damaged_checkpoint_names_the_variable(tmp_path, damage, message):
    shapes = original_shapes_by_checkpoint_name()
    damage(shapes)
    write_tf1_checkpoint(str(tmp_path / "ckpt"), shapes)
    model = autoencoder.build_model(HYPER, seed=0, options=EXACT)
    with pytest.raises(checkpoints.CheckpointError, match=message):
        checkpoints.import_tf1_checkpoint(model, str(tmp_path / "ckpt"))


def test_not_a_checkpoint_is_a_clear_error(tmp_path):
    model = autoencoder.build_model(HYPER, seed=0, options=EXACT)
    with pytest.raises(checkpoints.CheckpointError, match="not a readable TF checkpoint"):
        checkpoints.import_tf1_checkpoint(model, str(tmp_path / "nothing"))


def test_weight_dict_must_have_every_entry(saved_legacy):
    run, _ = saved_legacy
    model = autoencoder.build_model(HYPER, seed=0, options=EXACT)
    partial = dict(run.final_weights)
    del partial["decoder_h2"]
    with pytest.raises(checkpoints.CheckpointError, match=r"missing \['decoder_h2'\]"):
        checkpoints.set_original_weights(model, partial)


@pytest.mark.parametrize("exact", [True, False])
def test_keras_save_and_load_round_trip_gives_identical_outputs(tmp_path, test_images, exact):
    model = autoencoder.build_model(HYPER, seed=3, options=preset(exact))
    model.compile(optimizer=autoencoder.make_optimizer(HYPER, preset(exact)))
    path = str(tmp_path / "model.keras")
    checkpoints.save_model(model, path)
    loaded = checkpoints.load_model(path)
    assert type(loaded) is type(model) and loaded.exact == exact
    assert type(loaded.optimizer) is type(model.optimizer)
    np.testing.assert_array_equal(loaded.predict(test_images, verbose=0),
                                  model.predict(test_images, verbose=0))


def test_encoder_exports_alone(tmp_path, test_images):
    model = autoencoder.build_model(HYPER, seed=3, options=EXACT)
    path = str(tmp_path / "encoder.keras")
    checkpoints.save_encoder(model, path)
    encoder = checkpoints.load_model(path)
    assert encoder.output_shape == (None, 2)
    np.testing.assert_array_equal(encoder.predict(test_images, verbose=0),
                                  model.encoder.predict(test_images, verbose=0))
