"""How alike two sets of 2-D codes are, and how well each separates digits.

Alignment-invariant measures only (docs/numerics.md section 7): two trainings
that differ by a rotation, reflection or scale of the code space have
learned the same thing, so raw coordinates are never compared directly.
Computed with scipy and scikit-learn; linear CKA, which neither ships, is
the four-line formula of Kornblith et al. (2019).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import procrustes
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

KNN_NEIGHBOURS = 5
KNN_FOLDS = 5
KMEANS_CLUSTERS = 10
# silhouette_score builds an n x n distance matrix: 10,000 test codes would
# need 800 MB, so it is estimated on a fixed random subset of this size.
SILHOUETTE_SAMPLE = 2000
METRIC_SEED = 0  # metrics are deterministic: fixed folds, k-means and subsets


def procrustes_disparity(first: np.ndarray, second: np.ndarray) -> float:
    """Sum of squared differences after optimal translation, scaling and
    rotation/reflection of standardised copies (scipy): 0 = same shape."""
    return float(procrustes(np.asarray(first, np.float64), np.asarray(second, np.float64))[2])


def class_centroids(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean code of each digit, [n_classes, code_dim]."""
    return np.stack([codes[labels == digit].mean(axis=0) for digit in np.unique(labels)])


def linear_cka(first: np.ndarray, second: np.ndarray) -> float:
    """Linear centred kernel alignment: 1 = same up to rotation and scale."""
    x = np.asarray(first, np.float64) - np.mean(first, axis=0)
    y = np.asarray(second, np.float64) - np.mean(second, axis=0)
    cross = np.linalg.norm(y.T @ x, "fro") ** 2
    return float(cross / (np.linalg.norm(x.T @ x, "fro") * np.linalg.norm(y.T @ y, "fro")))


def knn_accuracy(codes: np.ndarray, labels: np.ndarray) -> float:
    """Mean 5-fold cross-validated accuracy of a 5-nearest-neighbour classifier."""
    folds = StratifiedKFold(KNN_FOLDS, shuffle=True, random_state=METRIC_SEED)
    scores = cross_val_score(KNeighborsClassifier(KNN_NEIGHBOURS), codes, labels, cv=folds)
    return float(np.mean(scores))


def silhouette(codes: np.ndarray, labels: np.ndarray) -> float:
    """Silhouette of the digit labels in code space (-1..1, higher = tighter)."""
    size = min(len(codes), SILHOUETTE_SAMPLE)
    return float(silhouette_score(codes, labels, sample_size=size, random_state=METRIC_SEED))


def kmeans_assignments(codes: np.ndarray) -> np.ndarray:
    """k-means(10) cluster of every code (fixed seed, 10 restarts)."""
    return KMeans(KMEANS_CLUSTERS, n_init=10, random_state=METRIC_SEED).fit_predict(codes)


def clusters_of(codes: np.ndarray):
    """`kmeans_assignments` of finite codes, None for codes with NaN/Inf, so
    that callers comparing two code sets cluster each set once."""
    codes = np.asarray(codes, np.float64)
    return kmeans_assignments(codes) if np.all(np.isfinite(codes)) else None


def code_quality(codes: np.ndarray, labels: np.ndarray, clusters=None) -> dict:
    """Metrics of one implementation's codes against the digit labels.

    `clusters`: the codes' `kmeans_assignments`, if already computed."""
    codes = np.asarray(codes, np.float64)
    if not np.all(np.isfinite(codes)):
        return {"finite": False}
    if clusters is None:
        clusters = kmeans_assignments(codes)
    return {"finite": True,
            "knn_accuracy": knn_accuracy(codes, labels),
            "silhouette": silhouette(codes, labels),
            "kmeans_ari_vs_labels": float(adjusted_rand_score(labels, clusters))}


def code_agreement(first: np.ndarray, second: np.ndarray, labels: np.ndarray,
                   clusters=(None, None)) -> dict:
    """How alike two implementations' codes for the same images are.

    `clusters`: both code sets' `kmeans_assignments`, if already computed."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    if not (np.all(np.isfinite(first)) and np.all(np.isfinite(second))):
        return {"finite": False}
    first_clusters, second_clusters = (
        kmeans_assignments(codes) if given is None else given
        for codes, given in zip((first, second), clusters))
    return {"finite": True,
            "max_abs_difference": float(np.max(np.abs(first - second))),
            "procrustes_disparity": procrustes_disparity(first, second),
            "centroid_procrustes_disparity": procrustes_disparity(
                class_centroids(first, labels), class_centroids(second, labels)),
            "linear_cka": linear_cka(first, second),
            "kmeans_ari_between": float(adjusted_rand_score(first_clusters, second_clusters))}
