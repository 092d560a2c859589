"""`tf.keras.datasets.mnist.load_data()` and `fashion_mnist.load_data()`
served from `tf1-run --data-dir` (offline): the same uint8 arrays, read
from the folder's four IDX files or from Keras's `mnist.npz`.

Without --data-dir, Keras's own function runs (its cache, or a download).
"""

from __future__ import annotations

import functools
import os
import sys

# The Keras 2 modules that define load_data (behind `tf.keras` and, in
# tf1-run's process, `keras`: tf1kit/run/shim.py).
MODULES = ("tf_keras.src.datasets.mnist", "tf_keras.src.datasets.fashion_mnist")


def _served(original, dataset: str):
    @functools.wraps(original)
    def load_data(*args, **kwargs):
        from tf1kit.data import input_data, mnist
        folder = input_data.redirected_folder()
        if folder is None:
            return original(*args, **kwargs)
        print(f"[run_tf1] --data-dir: {dataset}.load_data() reads {folder}")
        if folder.endswith(".npz") and os.path.isfile(folder):
            arrays = mnist.read_keras_npz(folder)
            input_data.files_read.append(folder)
        else:
            arrays = mnist.read_idx_folder(folder)
            input_data.files_read.extend(os.path.join(folder, name) for name in mnist.IDX_FILES)
        input_data.log_keras_train(arrays["train_images"], f"keras.datasets.{dataset}")
        return ((arrays["train_images"][..., 0], arrays["train_labels"]),
                (arrays["test_images"][..., 0], arrays["test_labels"]))
    load_data._tf1kit = True
    return load_data


def serve(module) -> None:
    """Replace `module.load_data` (one of MODULES), and wherever an API
    module already bound it (`tf_keras.datasets.mnist`: later ones bind
    the replacement)."""
    original = module.load_data
    if getattr(original, "_tf1kit", False):
        return
    served = _served(original, module.__name__.rsplit(".", 1)[1])
    for loaded in list(sys.modules.values()):
        if getattr(loaded, "load_data", None) is original:
            loaded.load_data = served
