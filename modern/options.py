"""The choices that decide how the modern side computes, in one object.

Four choices change the numbers a Keras rewrite of the original produces
(MIGRATION.md section 2 measures each): how a layer adds its bias, which
Adam, which loss expression, and whether XLA compiles the step. The exact
configuration makes the faithful choice in each; the idiomatic one keeps
stock Keras layers and Adam. Importing this module imports no TensorFlow.
"""

from __future__ import annotations

import dataclasses

BIAS_LAYERS = ("tf.add", "bias_add")
OPTIMIZERS = ("tf1_adam", "keras_adam")
LOSSES = ("original", "keras_mse")


@dataclasses.dataclass(frozen=True)
class TrainingOptions:
    """How the model adds biases, which optimizer and loss it trains with,
    and whether the training step is compiled by XLA.

    - `bias_layer`: "tf.add" (`AddBiasDense`, the original's `tf.add`) or
      "bias_add" (stock `keras.layers.Dense`, `tf.nn.bias_add`);
    - `optimizer`: "tf1_adam" (`TF1Adam`, TF1's arithmetic) or "keras_adam"
      (stock `keras.optimizers.Adam`, given TF1's epsilon);
    - `loss`: "original" (`tf.reduce_mean(tf.pow(y_true - y_pred, 2))`) or
      "keras_mse" (`keras.losses.MeanSquaredError`);
    - `jit_compile`: XLA for the training step (changes results: trap T9).
    """

    bias_layer: str = "tf.add"
    optimizer: str = "tf1_adam"
    loss: str = "original"
    jit_compile: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("bias_layer", BIAS_LAYERS), ("optimizer", OPTIMIZERS),
                              ("loss", LOSSES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not isinstance(self.jit_compile, bool):
            raise ValueError(f"jit_compile must be True or False, got {self.jit_compile!r}")

    @property
    def add_bias_with_tf_add(self) -> bool:
        return self.bias_layer == "tf.add"

    @property
    def exact(self) -> bool:
        """True when every choice is the faithful one (the EXACT preset)."""
        return self == EXACT

    def describe(self) -> dict:
        return dataclasses.asdict(self)


# Bit-identical to legacy/ on CPU (measured: docs/comparison.md).
EXACT = TrainingOptions()
# What a Keras expert writes: stock Dense and Adam. The loss stays the
# original expression (trap T6 changes only the printed loss at batch 256).
IDIOMATIC = TrainingOptions(bias_layer="bias_add", optimizer="keras_adam")
PRESETS = {"exact": EXACT, "idiomatic": IDIOMATIC}


def preset(exact: bool) -> TrainingOptions:
    """EXACT or IDIOMATIC."""
    return EXACT if exact else IDIOMATIC
