"""The original's figure: the test set's 2-D codes coloured by digit.

Drawn with matplotlib's object API on the Agg canvas, so no display is
needed and no global pyplot state is touched.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from common.files import atomic_path


def save_code_scatter(codes, labels, path, title=None) -> None:
    """Scatter `codes[:, 0]` vs `codes[:, 1]` coloured by `labels`, with a
    colorbar (as the original's `plt.scatter(...); plt.colorbar()`), to PNG."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"codes must be [n, 2], got shape {codes.shape}")
    labels = np.asarray(labels)
    if labels.ndim == 2:  # one-hot labels
        labels = labels.argmax(axis=1)
    figure = Figure(figsize=(6.4, 4.8))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    points = axes.scatter(codes[:, 0], codes[:, 1], c=labels, s=8)
    figure.colorbar(points, ax=axes, label="digit")
    axes.set_xlabel("code 1")
    axes.set_ylabel("code 2")
    if title:
        axes.set_title(title)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
