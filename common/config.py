"""The original script's hyperparameters, in one frozen dataclass."""

from __future__ import annotations

import dataclasses

# The original ran `int(mnist.train.num_examples / batch_size)` steps per
# "epoch" on the 55,000-image TF1 training split: int(55000 / 256) = 214.
# On smaller data (the bundled sample) we keep this many steps per epoch so
# that the optimizer-step budget (10 x 214 = 2,140 steps) stays the original's.
ORIGINAL_TRAIN_EXAMPLES = 55_000
ORIGINAL_STEPS_PER_EPOCH = ORIGINAL_TRAIN_EXAMPLES // 256
# Both implementations return the reconstructions of this many test images
# (the first ones), for the comparison's image grid.
RECONSTRUCTION_EXAMPLES = 10


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """Hyperparameters of the 2018 script, with its values as defaults.

    The names are spelled out here; `legacy/autoencoder.py` maps them back to
    the original's (`n_input`, `n_hidden_1`, ...).
    """

    learning_rate: float = 0.01
    training_epochs: int = 10
    batch_size: int = 256
    display_step: int = 1
    input_dim: int = 784  # n_input
    hidden_dims: tuple[int, ...] = (128, 64, 10)  # n_hidden_1..3
    latent_dim: int = 2  # n_hidden_4, the linear code
    # tf.truncated_normal / tf.random_normal default stddev (TF1); Keras's
    # initializers default to 0.05, so the modern side must pass this.
    init_stddev: float = 1.0
    # tf.compat.v1.train.AdamOptimizer defaults (Keras's epsilon is 1e-7).
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    # read_data_sets' default validation split of the training files.
    validation_size: int = 5000

    def __post_init__(self) -> None:
        for name in ("training_epochs", "batch_size", "display_step",
                     "input_dim", "latent_dim"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not all(isinstance(d, int) and d >= 1 for d in self.hidden_dims):
            raise ValueError(f"hidden_dims must be positive integers, got {self.hidden_dims!r}")
        if not (self.learning_rate > 0 and self.learning_rate < float("inf")):
            raise ValueError(f"learning_rate must be a positive finite number, got {self.learning_rate!r}")
        if not isinstance(self.validation_size, int) or self.validation_size < 0:
            raise ValueError(f"validation_size must be a non-negative integer, got {self.validation_size!r}")

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Encoder widths from input to code: (784, 128, 64, 10, 2)."""
        return (self.input_dim, *self.hidden_dims, self.latent_dim)

    def parameter_count(self) -> int:
        """Weights and biases of encoder and mirrored decoder (219,598 by default)."""
        sizes = self.layer_sizes
        pairs = list(zip(sizes[:-1], sizes[1:]))
        pairs += [(b, a) for a, b in reversed(pairs)]
        return sum(a * b + b for a, b in pairs)
