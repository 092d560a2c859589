"""Figures of one run: the original's scatter of the test set's 2-D codes
coloured by digit, image grids, and the helpers the comparison's figures
(parity/plots.py) and the benchmarks build on.

Drawn with matplotlib's object API on the Agg canvas, so no display is
needed and no global pyplot state is touched.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tf1kit.files import atomic_path


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


def new_figure(width, height):
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100, bbox_inches="tight")


def figure_colour(digit: int):
    """The colour of a digit: matplotlib's tab10 palette."""
    from matplotlib import colormaps
    return colormaps["tab10"](digit)


def save_image_rows(rows, path) -> None:
    """A grid of 28x28 images, one named row per (name, images) pair."""
    count = len(rows[0][1])
    figure = new_figure(1.2 * count, 1.3 * len(rows))
    axes = figure.subplots(len(rows), count, squeeze=False)
    for row, (name, pictures) in enumerate(rows):
        for column in range(count):
            ax = axes[row][column]
            ax.imshow(np.asarray(pictures[column]).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_ylabel(name)
    save_figure(figure, path)
