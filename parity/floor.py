"""How long a comparison took beside its floor: the time it cannot avoid.

The floor is the setup (Python, TensorFlow's and Keras's imports, reading
and checking the data: from the process's start to the first step), the
slower side trained alone, and the metrics and plots; the other side, run
beside it, would ideally cost nothing. Each part is measured in the same
run. A side trains alone in no run of two sides, so its time alone is
estimated from its own epochs: its first epoch (graph building and warm-up
included) and what followed its last epoch line as they ran, every later
epoch at the pace of its fastest one. That reads low where the sides
never ran apart, so the ratio errs high, never flattering.
"""

from __future__ import annotations

import os
import time

GOAL = 1.25  # the most a comparison may take over its floor, on every CPU kind (issue 28)

_IMPORTED = time.perf_counter()  # where /proc is missing: close to the process's start


def process_seconds() -> float:
    """Seconds since this process started (Linux: from /proc; elsewhere from
    when this module was imported)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stream:
            fields = stream.read().rpartition(")")[2].split()
        with open("/proc/uptime", encoding="ascii") as stream:
            uptime = float(stream.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


def alone_seconds(seconds: float, epoch_seconds: list) -> float:
    """A side's time had it trained alone: `seconds` as measured, with every
    epoch after the first at the pace of the fastest of them."""
    later = list(epoch_seconds[1:])
    if not later:
        return seconds
    return seconds - sum(later) + len(later) * min(later)


def floor(timings: dict) -> dict:
    """The floor of the run `timings` (the report's) describe, its parts,
    and the wall time over it."""
    sides = sum(max(alone_seconds(seed[f"{side}_seconds"], seed[f"{side}_epoch_seconds"])
                    for side in ("legacy", "modern"))
                for seed in timings["per_seed"])
    after = sum(seed["metrics_seconds"] + seed["explain_seconds"]
                for seed in timings["per_seed"]) + timings["plots_seconds"]
    total = timings["setup_seconds"] + sides + after
    return {"setup_seconds": timings["setup_seconds"], "slower_side_alone_seconds": sides,
            "metrics_and_plots_seconds": after, "seconds": total,
            "wall_seconds": timings["wall_seconds"], "ratio": timings["wall_seconds"] / total,
            "goal": GOAL}


def describe(result: dict) -> str:
    """One line for the summary."""
    return (f"time: {result['wall_seconds']:.1f} s, {result['ratio']:.2f}x its floor of "
            f"{result['seconds']:.1f} s (setup {result['setup_seconds']:.1f} s, the slower side "
            f"alone {result['slower_side_alone_seconds']:.1f} s, metrics and plots "
            f"{result['metrics_and_plots_seconds']:.1f} s; goal: at most {result['goal']}x)")
