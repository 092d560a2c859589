"""What each side's training and evaluation return: one type each for
legacy/ and modern/, so that a caller (compare.py, the tests) reads both
the same way."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np


class Evaluation(NamedTuple):
    """A trained model on the test set."""

    codes: np.ndarray            # float32 [n_test, latent_dim], the encoder's output
    cost: float                  # the original's `cost` (reconstruction MSE) on the test set
    reconstructions: np.ndarray  # decoder output for the first RECONSTRUCTION_EXAMPLES images
    variant_report: dict         # sparse: activations; denoising: corrupted-input MSE


@dataclasses.dataclass
class TrainedRun:
    """What one training run returns to its caller (and to compare.py):
    legacy.training.LegacyRun and modern.training.ModernRun are this, as
    is a golden recording's run (parity/golden/against.py RecordedRun)."""

    step_losses: np.ndarray          # float32 [steps], the loss of every step
    epoch_costs: list                # the printed `cost=` values (last batch)
    initial_weights: dict            # original name -> float32 array, before step 1
    final_weights: dict              # original name -> float32 array, after training
    test_codes: np.ndarray           # float32 [n_test, latent_dim]
    test_cost: float                 # `cost` on the whole test set
    test_reconstructions: np.ndarray # decoder output, first test images
    variant_report: dict             # sparse: activations; denoising: corrupted-input MSE
    test_labels: np.ndarray          # labels of the test set, for the plot
    steps_per_epoch: int
    seconds: float
