"""Collapse, said in words: the classic failure of this model.

A collapsed autoencoder's decoder outputs about the mean training image
whatever the code, so its test MSE sits at the mean image's (about 0.067 on
MNIST) and the 2-D codes carry almost no information. Both sides (and the
comparison) flag it the same way.
"""

from __future__ import annotations

import numpy as np

# Collapsed: test MSE within 5% of the mean-image baseline. Measured on the
# bundled sample: trained runs end about 30% below the baseline (0.047 vs
# 0.067); collapsed ones (Keras's 0.05 initializer stddev, `--perturb
# init-stddev`) within 1% of it.
COLLAPSE_MARGIN = 0.05

EXPLANATION = ("the decoder outputs about the average digit and the 2-D codes carry "
               "almost no information; usual causes: an initializer scale far from the "
               "original's stddev 1.0 (MIGRATION.md trap T2), too few steps, or too strong "
               "a sparsity weight")


def mean_image_mse(train_images, test_images) -> float:
    """Test MSE of predicting the mean training image for every test image."""
    mean = np.mean(train_images, axis=0, dtype=np.float64)  # no float64 copy of the set
    return float(np.mean((np.asarray(test_images, np.float64) - mean) ** 2))


def is_collapsed(test_cost, baseline: float) -> bool:
    """Whether a run's test MSE is within COLLAPSE_MARGIN of the baseline."""
    return bool(test_cost is not None and np.isfinite(test_cost)
                and test_cost >= (1 - COLLAPSE_MARGIN) * baseline)


def describe(test_cost: float, baseline: float) -> str:
    """One line for the terminal, collapsed or not."""
    if is_collapsed(test_cost, baseline):
        return (f"collapsed: test MSE {test_cost:.4f} does not beat the mean image's "
                f"{baseline:.4f} by {COLLAPSE_MARGIN:.0%}: {EXPLANATION}")
    return f"test MSE {test_cost:.4f} (the mean image's: {baseline:.4f})"
