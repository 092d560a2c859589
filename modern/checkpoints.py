"""Moving weights between the original's world and the Keras model.

- `ORIGINAL_NAME_MAP`: the explicit map from the original's dict keys
  (`encoder_h1`, `encoder_b1`, ...) to Keras layer variables;
- `get_original_weights` / `set_original_weights`: numpy dicts in the
  original's names (what `legacy.training.train` returns), every entry
  checked for presence and shape;
- `import_tf1_checkpoint`: a checkpoint written by `tf.compat.v1.train.Saver`
  from the original graph, read with `tf.train.load_checkpoint`;
- `save_model` / `load_model` (native `.keras`) and `save_encoder`.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from common.architecture import (
    BIAS_NAMES,
    LAYER_NAMES,
    WEIGHT_NAMES,
    bias_name,
    weight_name,
)
from tf1kit.errors import DataError
from tf1kit.files import atomic_path
from modern import autoencoder  # noqa: F401  registers the classes
from tf1kit.keras import layers, optimizers  # noqa: F401  registers the classes

# original key -> (Keras layer name, variable): h = kernel, b = bias.
ORIGINAL_NAME_MAP = {
    **{weight_name(layer): (layer, "kernel") for layer in LAYER_NAMES},
    **{bias_name(layer): (layer, "bias") for layer in LAYER_NAMES},
}

# The original created its 16 tf.Variables without names: weights first, in
# dict order, then biases. A Saver therefore stored them as "Variable",
# "Variable_1", ..., "Variable_15". This maps original keys to those names.
TF1_CHECKPOINT_NAMES = {key: "Variable" if i == 0 else f"Variable_{i}"
                        for i, key in enumerate(WEIGHT_NAMES + BIAS_NAMES)}


class CheckpointError(DataError):
    """A checkpoint or weight dict that does not fit the model."""


def _variable(model, key):
    layer_name, attribute = ORIGINAL_NAME_MAP[key]
    layer = model.encoder if layer_name.startswith("encoder") else model.decoder
    return getattr(layer.get_layer(layer_name), attribute)


def original_variables(model) -> dict:
    """The model's 16 tf.Variables, keyed by their original names."""
    return {key: _variable(model, key) for key in ORIGINAL_NAME_MAP}


def get_original_weights(model) -> dict:
    """The model's parameters as {original key: float32 numpy array}."""
    return {key: np.array(_variable(model, key).numpy()) for key in ORIGINAL_NAME_MAP}


def set_original_weights(model, weights: dict, where: str = "weights") -> None:
    """Assign {original key: array}; every key must be present with its shape."""
    missing = sorted(set(ORIGINAL_NAME_MAP) - set(weights))
    extra = sorted(set(weights) - set(ORIGINAL_NAME_MAP))
    if missing or extra:
        raise CheckpointError(f"{where}: missing {missing}, unexpected {extra}")
    for key in ORIGINAL_NAME_MAP:
        variable = _variable(model, key)
        value = np.asarray(weights[key])
        if tuple(value.shape) != tuple(variable.shape):
            raise CheckpointError(f"{where}: {key} has shape {tuple(value.shape)}, "
                                  f"the model's {variable.path} needs {tuple(variable.shape)}")
        variable.assign(value.astype(np.float32))


def import_tf1_checkpoint(model, checkpoint_path: str, names=None) -> dict:
    """Load a TF1 Saver checkpoint of the original graph into `model`.

    `names` maps original keys to checkpoint variable names; by default the
    names an unmodified original script gives (`Variable`, `Variable_1`, ...).
    Adam's slots in the checkpoint are ignored: this migrates the trained
    model, not the optimizer state. Returns the loaded weights.
    """
    names = names or TF1_CHECKPOINT_NAMES
    try:
        reader = tf.train.load_checkpoint(checkpoint_path)
    except (tf.errors.NotFoundError, tf.errors.DataLossError, ValueError) as error:
        raise CheckpointError(f"{checkpoint_path}: not a readable TF checkpoint "
                              f"({str(error).splitlines()[0]})") from None
    stored = reader.get_variable_to_shape_map()
    weights = {}
    for key, stored_name in names.items():
        if stored_name not in stored:
            raise CheckpointError(f"{checkpoint_path}: variable {stored_name!r} "
                                  f"(the original's {key}) is not in the checkpoint")
        weights[key] = reader.get_tensor(stored_name)
    set_original_weights(model, weights, where=checkpoint_path)
    return weights


def save_model(model, path: str) -> None:
    """Save the whole model (architecture, weights, optimizer) as `.keras`."""
    if not str(path).endswith(".keras"):
        raise ValueError(f"{path}: the native Keras format needs a .keras file name")
    with atomic_path(path) as temporary:
        # Keras checks the extension of the name it writes to.
        model.save(temporary)


def load_model(path: str):
    """Load a model saved by `save_model` (its custom classes are registered
    by importing modern.autoencoder, above)."""
    return keras.models.load_model(path)


def save_encoder(model, path: str) -> None:
    """Save the encoder alone (784 -> 2) as `.keras`, for users of the codes."""
    save_model(model.encoder, path)
