"""The training arrays `tf.keras.datasets.mnist.load_data()` served to a
traced script (tf1kit/run/keras_datasets.py), so that the batches the
script cut from them itself are found in the trace: each fed batch's rows
matched to the uint8 images, and how the script scaled them told by which
of the usual scalings gives the fed values bit for bit. Importing this
module imports no TensorFlow."""

from __future__ import annotations

import numpy as np

from tf1kit.data.rows import RowIndex

PIXELS = 784
# How scripts scaled load_data's uint8 images, as the float32 the feed held
# (TF1 cast a fed float64 array to the placeholder's float32), and the
# NumPy that writes it in a rewrite. `x / 255.0` in float64 then cast and
# `x.astype("float32") / 255` are the same float32 (a float64 quotient
# rounded to float32 is the float32 quotient); TF1's loader's `* (1.0 /
# 255.0)` differs from them on 126 of the 256 pixel values (T11).
SCALINGS = {
    "x / 255": (lambda pixels: (pixels / 255.0).astype(np.float32),
                "(images / 255.0).astype(np.float32)"),
    "x.astype(float32) * (1 / 255)": (
        lambda pixels: np.multiply(pixels.astype(np.float32), 1.0 / 255.0).astype(np.float32),
        "np.multiply(images.astype(np.float32), 1.0 / 255.0)"),
    "x (not scaled)": (lambda pixels: pixels.astype(np.float32),
                       "images.astype(np.float32)"),
}


def scaled(images: np.ndarray, scaling: str, shape) -> np.ndarray:
    """uint8 images scaled by SCALINGS[scaling] ("uint8": fed as they came),
    in the fed shape ([28, 28, 1] ...)."""
    pixels = images.reshape(len(images), PIXELS)
    if scaling != "uint8":
        pixels = SCALINGS[scaling][0](pixels)
    return pixels.reshape((len(images), *shape))


class KerasTrainSet:
    """load_data's training images as a trace's "train" data set: the
    examples of each step's batch (`served`), the scaling and the fed
    shape of the images (`source`), for the trace's manifest."""

    role = "train"

    def __init__(self, images: np.ndarray, loader: str):
        self._pixels = images.reshape(len(images), PIXELS)
        self.served, self.steps_logged = [], 0
        self._rows = RowIndex(self._pixels)
        self.source = {"loader": loader, "scaling": None, "shape": None}

    def indices_of(self, rows) -> np.ndarray | None:
        """The examples whose images the fed `rows` are (scaled one of
        SCALINGS' ways, the same way at every step), or None."""
        rows = np.asarray(rows)
        if rows.dtype.kind not in "fu" or not len(rows) or rows[0].size != PIXELS:
            return None
        flat = rows.reshape(len(rows), PIXELS)
        if rows.dtype.kind == "f":
            flat = flat.astype(np.float32)  # what TF1's feed made of it
            unit = 255.0 if flat.max() <= 1.0 else 1.0  # scaled to [0, 1], or not at all
            pixels = np.clip(np.rint(flat * unit), 0, 255).astype(np.uint8)
        else:
            pixels = flat
        found = self._rows.positions(pixels)
        if found is None:
            return None
        scaling = "uint8" if rows.dtype.kind == "u" else self._scaling(flat, pixels)
        if scaling is None or self.source["scaling"] not in (None, scaling):
            return None
        self.source.update(scaling=scaling, shape=list(rows.shape[1:]))
        return np.asarray(found)

    def _scaling(self, flat: np.ndarray, pixels: np.ndarray) -> str | None:
        """The first of SCALINGS whose float32 values are the fed ones."""
        return next((name for name, (scale, _) in SCALINGS.items()
                     if np.array_equal(scale(pixels), flat)), None)
