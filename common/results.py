"""What each side's evaluation returns: one type for legacy/ and modern/,
so that a caller (compare.py, the tests) reads both the same way."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Evaluation(NamedTuple):
    """A trained model on the test set."""

    codes: np.ndarray            # float32 [n_test, latent_dim], the encoder's output
    cost: float                  # the original's `cost` (reconstruction MSE) on the test set
    reconstructions: np.ndarray  # decoder output for the first RECONSTRUCTION_EXAMPLES images
    variant_report: dict         # sparse: activations; denoising: corrupted-input MSE
