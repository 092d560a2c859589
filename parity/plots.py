"""The comparison's figures: both sides' losses, codes, reconstructions and
the variant's own figure, for the first seed of a comparison."""

from __future__ import annotations

import os

import numpy as np

from common.plots import figure_colour, new_figure, save_figure, save_image_rows


def save_loss_curves(legacy_losses, modern_losses, path, title="") -> None:
    """Both per-step loss curves overlaid, and |difference| on a log axis."""
    legacy_losses = np.asarray(legacy_losses, np.float64)
    modern_losses = np.asarray(modern_losses, np.float64)
    steps = min(len(legacy_losses), len(modern_losses))
    figure = new_figure(8, 6)
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.plot(np.arange(1, len(legacy_losses) + 1), legacy_losses, label="legacy", lw=1.5)
    top.plot(np.arange(1, len(modern_losses) + 1), modern_losses, label="modern", lw=0.8,
             ls="--")
    top.set_ylabel("training loss (batch MSE)")
    top.set_yscale("log")
    top.legend()
    top.set_title(title)
    difference = np.abs(legacy_losses[:steps] - modern_losses[:steps])
    if np.any(difference > 0):
        bottom.semilogy(np.arange(1, steps + 1), np.where(difference > 0, difference, np.nan),
                        ".", ms=2)
    else:
        bottom.set_yscale("log")
        bottom.text(0.5, 0.5, "identical at every step (difference 0)", ha="center",
                    va="center", transform=bottom.transAxes)
    bottom.set_ylabel("|legacy - modern|")
    bottom.set_xlabel("optimizer step")
    save_figure(figure, path)


def save_code_scatters(legacy_codes, modern_codes, labels, path,
                       titles=("legacy: test-set codes", "modern: test-set codes")) -> None:
    """Two sets of test codes side by side, one legend for both."""
    figure = new_figure(11, 4.8)
    axes = figure.subplots(1, 2)
    labels = np.asarray(labels)
    colours = [figure_colour(digit) for digit in range(10)]
    for ax, codes, title in zip(axes, (legacy_codes, modern_codes), titles):
        codes = np.asarray(codes)
        for digit in range(10):
            chosen = labels == digit
            ax.scatter(codes[chosen, 0], codes[chosen, 1], s=5, color=colours[digit],
                       label=str(digit))
        ax.set_title(title)
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, title="digit", loc="center right", markerscale=3)
    figure.subplots_adjust(right=0.9)
    save_figure(figure, path)


def save_reconstruction_grid(images, legacy_reconstructions, modern_reconstructions,
                             path) -> None:
    """Rows: test images, legacy's reconstructions, modern's reconstructions."""
    save_image_rows([("input", images), ("legacy", legacy_reconstructions),
                     ("modern", modern_reconstructions)], path)


def save_activation_histograms(legacy_report, modern_report, target, path) -> None:
    """Both sides' histograms of hidden activations, with the sparsity target."""
    figure = new_figure(8, 4)
    axes = figure.add_subplot()
    for name, report, style in (("legacy", legacy_report, "-"), ("modern", modern_report, "--")):
        histogram = report["activation_histogram"]
        edges, counts = np.asarray(histogram["bin_edges"]), np.asarray(histogram["counts"])
        axes.stairs(counts / counts.sum(), edges, label=name, ls=style, lw=1.5)
    axes.axvline(target, color="k", lw=0.8, label=f"target rho = {target}")
    axes.set_xlabel("hidden unit activation (test set, sigmoid hidden layers)")
    axes.set_ylabel("fraction of activations")
    axes.legend()
    save_figure(figure, path)


KIND_COLOURS = {"input": 0, "initial": 1, "activation": 2, "loss": 3, "gradient": 4, "slot": 5,
                "update": 6, "weight": 7}


def save_divergence(divergence, path) -> None:
    """The localized step: each differing tensor's max distance between the
    two sides in float32 ulps, as bars in dataflow order, coloured by kind."""
    tensors = divergence["tensors"]
    # 9-point labels, 0.3 inch a bar: legible at the 100 dpi the PNG is saved at
    figure = new_figure(max(6.0, 0.3 * len(tensors) + 2), 5.5)
    axes = figure.add_subplot()
    heights = [max(t["max_ulp_distance"] or 1, 1) for t in tensors]
    colours = [figure_colour(KIND_COLOURS[t["kind"]]) for t in tensors]
    axes.bar(range(len(tensors)), heights, color=colours)
    axes.set_yscale("log")
    axes.set_xticks(range(len(tensors)))
    axes.set_xticklabels([f"{t['kind']} {t['tensor']}" for t in tensors], rotation=90,
                         fontsize=9)
    axes.set_ylabel("max |legacy - modern| (float32 ulps)")
    axes.set_title(f"step {divergence['step']}: the {len(tensors)} tensors that differ, "
                   "in dataflow order")
    from matplotlib.patches import Patch
    axes.legend(handles=[Patch(color=figure_colour(KIND_COLOURS[kind]), label=kind)
                         for kind in dict.fromkeys(t["kind"] for t in tensors)], fontsize=9)
    save_figure(figure, path)


def save_comparison(out, records, runs, arrays, variant) -> None:
    """compare.py's plots for the first seed: loss curves, codes,
    reconstructions, and the variant's own figure."""
    legacy_run, modern_run = runs
    first = records[0]
    if first.get("divergence") and first["divergence"]["tensors"]:
        save_divergence(first["divergence"], os.path.join(out, "divergence.png"))
    save_loss_curves(first["legacy"]["step_losses"], first["modern"]["step_losses"],
                     os.path.join(out, "loss_curves.png"),
                     title=f"per-step training loss, seed {first['seed']}")
    if legacy_run is None or modern_run is None:
        return
    save_code_scatters(legacy_run.test_codes, modern_run.test_codes, arrays.test_labels,
                       os.path.join(out, "codes.png"))
    count = len(legacy_run.test_reconstructions)
    save_reconstruction_grid(arrays.test_images[:count], legacy_run.test_reconstructions,
                             modern_run.test_reconstructions,
                             os.path.join(out, "reconstructions.png"))
    if variant.sparse:
        save_activation_histograms(legacy_run.variant_report, modern_run.variant_report,
                                   variant.sparsity_target, os.path.join(out, "activations.png"))
    if variant.denoising:
        save_image_rows([("clean", arrays.test_images[:count]),
                         ("corrupted", legacy_run.variant_report["corrupted_examples"]),
                         ("legacy", legacy_run.variant_report["reconstructions_of_corrupted"]),
                         ("modern", modern_run.variant_report["reconstructions_of_corrupted"])],
                        os.path.join(out, "denoising.png"))
