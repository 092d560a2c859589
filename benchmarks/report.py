"""The benchmark's Markdown table, plot, and agreement with a previous run."""

from __future__ import annotations

import json
import os


def _range(entry, scale=1.0, digits=1) -> str:
    return (f"{entry['median'] * scale:.{digits}f} "
            f"({entry['min'] * scale:.{digits}f}-{entry['max'] * scale:.{digits}f})")


def table(report: dict) -> str:
    """One row per batch size and path: steps/s and ratio to legacy as
    median (min-max) over rounds, the two fractions of peak, peak memory."""
    lines = ["| batch | path | steps/s, median (range) | vs legacy per round, median (range) "
             "| % of large-matmul peak | % of own-matmul rate | peak RSS (MiB) |",
             "|---|---|---|---|---|---|---|"]
    for batch in report["batches"]:
        large, own = batch["references"]["large"]["name"], batch["references"]["own"]["name"]
        for name, entry in batch["paths"].items():
            ratio = _range(entry["vs_legacy"], digits=2) + "x" if "vs_legacy" in entry else "-"
            rss = batch.get("peak_rss_mib", {}).get(name)
            lines.append(f"| {batch['batch_size']} | {name} | {_range(entry)} | {ratio} | "
                         f"{entry['fraction_of'][large]:.0%} | {entry['fraction_of'][own]:.0%} | "
                         f"{'-' if rss is None else f'{rss:.0f}'} |")
    return "\n".join(lines)


def headline(report: dict, batch_size: int) -> dict:
    """Each path's median per-round ratio to legacy at `batch_size`."""
    for batch in report["batches"]:
        if batch["batch_size"] == batch_size:
            return {name: entry["vs_legacy"]["median"] for name, entry in batch["paths"].items()
                    if "vs_legacy" in entry and name != "legacy"}
    return {}


def agreement(previous_path: str, current: dict, batch_size: int) -> dict | None:
    """Relative change of each headline ratio against the report at
    `previous_path` (None if there is none, or it is from another machine)."""
    try:
        with open(previous_path, encoding="utf-8") as stream:
            previous = json.load(stream)
        old = headline(previous, batch_size)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if previous.get("machine", {}).get("cpu") != current["machine"]["cpu"] or not old:
        return None
    new = headline(current, batch_size)
    return {name: new[name] / old[name] - 1 for name in new if name in old}


def save_plot(report: dict, path: str) -> None:
    """Ratio to legacy per path (median, range as error bars), per batch size."""
    from common.plots import new_figure, save_figure
    figure = new_figure(7, 4.5)
    axes = figure.add_subplot()
    batches = report["batches"]
    names = [name for name in batches[0]["paths"] if "vs_legacy" in batches[0]["paths"][name]]
    width = 0.8 / max(len(batches), 1)
    for offset, batch in enumerate(batches):
        entries = [batch["paths"][name]["vs_legacy"] for name in names if name in batch["paths"]]
        positions = [i + offset * width for i in range(len(entries))]
        medians = [entry["median"] for entry in entries]
        errors = [[m - entry["min"] for m, entry in zip(medians, entries)],
                  [entry["max"] - m for m, entry in zip(medians, entries)]]
        axes.bar(positions, medians, width, yerr=errors, capsize=3,
                 label=f"batch {batch['batch_size']}")
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set_xticks([i + width * (len(batches) - 1) / 2 for i in range(len(names))], names,
                    rotation=15)
    axes.set_ylabel("steps/s relative to legacy, same round")
    axes.set_title(f"{report['machine']['cpu']}, {report['machine']['cores']} cores, "
                   f"TF {report['machine']['tensorflow']}", fontsize=9)
    axes.legend()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_figure(figure, path)
