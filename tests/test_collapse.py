"""The collapse flag: the mean-image baseline and the margin around it."""

import numpy as np
import pytest

from common import collapse


def test_the_baseline_is_the_mean_training_images_test_mse():
    train = np.array([[0.0, 1.0], [1.0, 1.0]])
    test = np.array([[0.5, 0.0]])
    # mean image (0.5, 1.0): errors 0 and 1 -> MSE 0.5
    assert collapse.mean_image_mse(train, test) == pytest.approx(0.5)


@pytest.mark.parametrize("test_cost, collapsed", [
    (0.047, False),                                      # a trained run (sample: 0.047)
    (0.95 * 0.067 - 1e-6, False),                        # just beats the margin
    (0.95 * 0.067, True), (0.067, True), (0.09, True),   # at or above the baseline
    (None, False), (float("nan"), False),               # no result is not "collapsed"
])
def test_collapsed_means_not_beating_the_baseline_by_the_margin(test_cost, collapsed):
    assert collapse.is_collapsed(test_cost, 0.067) is collapsed


def test_the_line_says_what_collapse_means_and_its_causes():
    line = collapse.describe(0.0674, 0.0673)
    assert line.startswith("collapsed: test MSE 0.0674 does not beat the mean image's 0.0673 "
                           "by 5%: the decoder outputs about the average digit")
    assert "initializer scale" in line and "too few steps" in line and "sparsity" in line
    assert collapse.describe(0.047, 0.0673) == "test MSE 0.0470 (the mean image's: 0.0673)"
