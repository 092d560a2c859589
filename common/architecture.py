"""The original network's shape, defined once: its eight dense layers in
network order, the original's name for each layer's weight and bias, the
layer sizes, and which layer is linear. Both sides' step traces, the
modern model and its checkpoints, the float64 referee and the recording
format take them from here.

    encoder_1..3: sigmoid    784 -> 128 -> 64 -> 10
    encoder_4:    linear     10 -> 2 (the code)
    decoder_1..4: sigmoid    2 -> 10 -> 64 -> 128 -> 784
"""

from __future__ import annotations

ENCODER_LAYERS = ("encoder_1", "encoder_2", "encoder_3", "encoder_4")
DECODER_LAYERS = ("decoder_1", "decoder_2", "decoder_3", "decoder_4")
LAYER_NAMES = ENCODER_LAYERS + DECODER_LAYERS
# The code layer has no activation, "to make its output easy to use" (the
# original's comment); every other layer is a sigmoid.
LINEAR_LAYER = ENCODER_LAYERS[-1]
# The last layer of each half: the sparse variant's KL penalty is on the
# sigmoid hidden layers only, not on these.
HALF_OUTPUTS = (ENCODER_LAYERS[-1], DECODER_LAYERS[-1])


def weight_name(layer: str) -> str:
    """The original's key of a layer's weight: encoder_1 -> encoder_h1."""
    half, _, number = layer.partition("_")
    return f"{half}_h{number}"


def bias_name(layer: str) -> str:
    """The original's key of a layer's bias: encoder_1 -> encoder_b1."""
    half, _, number = layer.partition("_")
    return f"{half}_b{number}"


# The original's parameter names: the weights dict, then the biases dict
# (its creation order, which a TF1 Saver's "Variable_N" names follow).
WEIGHT_NAMES = tuple(weight_name(layer) for layer in LAYER_NAMES)
BIAS_NAMES = tuple(bias_name(layer) for layer in LAYER_NAMES)
# In network order: each layer's weight, then its bias (the order of the
# gradients and updates in a trace).
PARAMETER_NAMES = tuple(name for pair in zip(WEIGHT_NAMES, BIAS_NAMES) for name in pair)


def activation(layer: str) -> str | None:
    """The layer's activation: None for the linear code layer, else "sigmoid"."""
    return None if layer == LINEAR_LAYER else "sigmoid"


def layer_shapes(hyper) -> dict:
    """{layer: (inputs, units)} in network order, from `hyper`'s
    layer_sizes (784, 128, 64, 10, 2): the decoder mirrors the encoder."""
    sizes = hyper.layer_sizes
    if len(sizes) != len(ENCODER_LAYERS) + 1:
        raise ValueError(f"the original network has {len(ENCODER_LAYERS)} layers per half: "
                         f"{len(sizes)} layer sizes give {len(sizes) - 1}")
    encoder = list(zip(sizes[:-1], sizes[1:]))
    decoder = [(units, inputs) for inputs, units in reversed(encoder)]
    return dict(zip(LAYER_NAMES, encoder + decoder))


def parameter_shapes(hyper) -> dict:
    """Shape of every original parameter, keyed by its original name
    (`hyper`: common.config.Hyperparameters, or anything with its
    `layer_sizes`)."""
    shapes = {}
    for layer, (inputs, units) in layer_shapes(hyper).items():
        shapes[weight_name(layer)] = (inputs, units)
        shapes[bias_name(layer)] = (units,)
    return shapes
