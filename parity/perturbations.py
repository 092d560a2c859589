"""Negative controls: each row breaks the modern side of a comparison in one
known way, the way a careless migration would (MIGRATION.md, section 2).

A row says what it changes, and nothing else does: the modern side's
`TrainingOptions` fields, its hyperparameters, its copy of the data, where
it starts from (legacy's initial weights, its own seeded ones, or Keras's
defaults) and which batch order it trains on (legacy's `next_batch` order
or its own tf.data one). Importing this module imports no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

# Where the modern side starts: legacy's initial values (transferred), its
# own seeded initializers, or stock Dense's glorot_uniform kernels and zeros.
STARTS = ("legacy", "own", "keras-default")
# Which batches it trains on: legacy's, or its own seeded tf.data order.
ORDERS = ("tf1", "own")


def divide_by_255(arrays):
    """The modern side's arrays with pixels scaled the idiomatic way, `x /
    255`, instead of TF1's `x * (1.0 / 255.0)` (the uint8 values are
    recovered exactly by rounding)."""
    def rescale(images):
        return np.rint(images * 255).astype(np.float32) / np.float32(255)
    return dataclasses.replace(arrays, train_images=rescale(arrays.train_images),
                               test_images=rescale(arrays.test_images))


@dataclasses.dataclass(frozen=True)
class Perturbation:
    """One negative control: a name, what it does, and how it does it."""

    name: str
    description: str
    trap: str                                         # MIGRATION.md trap number
    options: dict = dataclasses.field(default_factory=dict)          # TrainingOptions fields
    hyperparameters: dict = dataclasses.field(default_factory=dict)  # Hyperparameters fields
    data: Callable | None = None   # modern.input_data.Arrays -> Arrays, the data it trains on
    start: str = "legacy"
    order: str = "tf1"
    initial: Callable | None = None  # {name: initial weight} -> the same, changed (legacy start)

    def __post_init__(self) -> None:
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {self.start!r}")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")

    def apply_options(self, options):
        """The modern side's TrainingOptions with this row's changes."""
        return dataclasses.replace(options, **self.options)

    def apply_hyperparameters(self, hyper):
        """The modern side's Hyperparameters with this row's changes."""
        return dataclasses.replace(hyper, **self.hyperparameters)

    def apply_initial(self, weights):
        """Legacy's initial weights as this row starts the modern side from them."""
        return weights if self.initial is None or weights is None else self.initial(weights)

    def apply_data(self, arrays):
        """The modern side's arrays with this row's changes."""
        return arrays if self.data is None else self.data(arrays)


# The row of an unperturbed comparison: changes nothing.
NONE = Perturbation("none", "no perturbation", trap="-")

PERTURBATIONS = {row.name: row for row in (
    Perturbation("epsilon", "Keras's default Adam epsilon 1e-7 instead of TF1's 1e-8", "T1",
                 hyperparameters={"adam_epsilon": 1e-7}),
    Perturbation("init-stddev", "Keras's default initializer stddev 0.05 instead of 1.0 "
                 "(own seeded start)", "T2", hyperparameters={"init_stddev": 0.05},
                 start="own"),
    Perturbation("divide-255", "pixels scaled by x / 255 instead of TF1's x * (1/255)", "T11",
                 data=divide_by_255),
    Perturbation("bias-add", "stock Dense (tf.nn.bias_add) instead of the original's tf.add",
                 "T4", options={"bias_layer": "bias_add"}),
    Perturbation("adam", "stock keras.optimizers.Adam instead of TF1Adam", "T5",
                 options={"optimizer": "keras_adam"}),
    Perturbation("keras-mse", "keras.losses.MeanSquaredError instead of the original's "
                 "expression", "T6", options={"loss": "keras_mse"}),
    Perturbation("keras-init", "Keras's default glorot_uniform kernels and zero biases "
                 "(own seeded start)", "T3", start="keras-default"),
    Perturbation("xla", "the train step compiled with XLA (jit_compile=True)", "T9",
                 options={"jit_compile": True}),
    Perturbation("shuffle", "modern's own tf.data batch order instead of TF1's next_batch "
                 "order", "T8", order="own"),
)}
