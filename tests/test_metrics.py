"""The latent-space metrics on code sets whose answers are known."""

import numpy as np
import pytest

from parity import metrics


@pytest.fixture(scope="module")
def clustered():
    """Ten well-separated 2-D blobs, 60 points each, and their labels."""
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(10), 60)
    angles = labels * 2 * np.pi / 10
    centres = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 10
    return centres + rng.randn(600, 2) * 0.5, labels


def rotate_and_scale(codes):
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return 3.5 * codes @ rotation + np.array([4.0, -2.0])


def test_identical_codes_have_zero_disparity_and_cka_one(clustered):
    codes, labels = clustered
    agreement = metrics.code_agreement(codes, codes.copy(), labels)
    assert agreement["procrustes_disparity"] == pytest.approx(0, abs=1e-12)
    assert agreement["centroid_procrustes_disparity"] == pytest.approx(0, abs=1e-12)
    assert agreement["linear_cka"] == pytest.approx(1, abs=1e-12)
    assert agreement["kmeans_ari_between"] == 1.0
    assert agreement["max_abs_difference"] == 0.0


def test_rotated_scaled_copy_agrees_although_coordinates_differ(clustered):
    codes, labels = clustered
    moved = rotate_and_scale(codes)
    agreement = metrics.code_agreement(codes, moved, labels)
    assert agreement["max_abs_difference"] > 10  # raw coordinates are far apart
    assert agreement["procrustes_disparity"] == pytest.approx(0, abs=1e-10)
    assert agreement["linear_cka"] == pytest.approx(1, abs=1e-10)
    assert metrics.knn_accuracy(moved, labels) == metrics.knn_accuracy(codes, labels)


def test_separated_clusters_score_high_random_codes_low(clustered):
    codes, labels = clustered
    good = metrics.code_quality(codes, labels)
    assert good["knn_accuracy"] > 0.99 and good["silhouette"] > 0.7
    assert good["kmeans_ari_vs_labels"] > 0.95
    noise = np.random.RandomState(1).randn(600, 2)
    bad = metrics.code_quality(noise, labels)
    assert bad["knn_accuracy"] < 0.2  # chance is 0.1
    assert bad["silhouette"] < 0.05 and bad["kmeans_ari_vs_labels"] < 0.05


def test_unrelated_code_sets_disagree(clustered):
    codes, labels = clustered
    shuffled = codes[np.random.RandomState(2).permutation(len(codes))]
    agreement = metrics.code_agreement(codes, shuffled, labels)
    assert agreement["procrustes_disparity"] > 0.9
    assert agreement["linear_cka"] < 0.1


def test_non_finite_codes_are_reported_not_crashed_on(clustered):
    codes, labels = clustered
    broken = codes.copy()
    broken[3, 1] = np.nan
    assert metrics.code_quality(broken, labels) == {"finite": False}
    assert metrics.code_agreement(codes, broken, labels) == {"finite": False}
