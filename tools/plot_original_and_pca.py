"""The original's figure from a real run, beside a PCA-2D baseline.

    python tools/plot_original_and_pca.py [--data sample] [--out docs/original_vs_pca.png]

Trains the legacy port (the original program) on the data, projects the
test images onto their first two principal components (scikit-learn PCA fit
on the training images), and saves both scatters side by side with their
kNN(5) accuracy and reconstruction MSE. Also prints how saturated the first
sigmoid layer is at the original's stddev-1 initialisation.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import cli, sources  # noqa: E402
from parity import metrics, plots  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="sample", help="data source, as python -m legacy --data")
    parser.add_argument("--seed", type=int, default=0, help="seed of the legacy run")
    parser.add_argument("--out", default="docs/original_vs_pca.png", help="PNG to write")
    args = parser.parse_args()
    cli.quiet_tensorflow_logs()
    from sklearn.decomposition import PCA

    from common.config import ORIGINAL_STEPS_PER_EPOCH, Hyperparameters
    from legacy import training
    from tf1kit.data import input_data

    source = sources.DataSource(args.data)
    mnist = input_data.read_data_sets(source.path, validation_size=source.validation_size,
                                      seed=args.seed)
    steps = ORIGINAL_STEPS_PER_EPOCH if source.is_sample else None
    run = training.train(mnist, Hyperparameters(), graph_seed=args.seed, data_seed=args.seed,
                            steps_per_epoch=steps)
    first_layer = 1 / (1 + np.exp(-(mnist.test.images @ run.initial_weights["encoder_h1"]
                                    + run.initial_weights["encoder_b1"])))
    saturated = np.mean((first_layer < 0.01) | (first_layer > 0.99))
    print(f"at initialisation, {saturated:.1%} of first-layer sigmoid outputs are below 0.01 "
          "or above 0.99")
    pca = PCA(n_components=2, random_state=0).fit(mnist.train.images)
    pca_codes = pca.transform(mnist.test.images)
    pca_mse = float(np.mean((pca.inverse_transform(pca_codes) - mnist.test.images) ** 2))
    labels = mnist.test.labels
    autoencoder_knn = metrics.knn_accuracy(run.test_codes, labels)
    pca_knn = metrics.knn_accuracy(pca_codes, labels)
    print(f"autoencoder: test MSE {run.test_cost:.4f}, kNN(5) accuracy {autoencoder_knn:.3f}")
    print(f"PCA-2D:      test MSE {pca_mse:.4f}, kNN(5) accuracy {pca_knn:.3f}")
    plots.save_code_scatters(
        run.test_codes, pca_codes, labels, args.out,
        titles=(f"original autoencoder: MSE {run.test_cost:.4f}, kNN {autoencoder_knn:.2f}",
                f"PCA-2D: MSE {pca_mse:.4f}, kNN {pca_knn:.2f}"))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
