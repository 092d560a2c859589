"""Making a golden recording (`compare.py --record DIR`): the legacy side
trained for each seed, its traced steps replayed one step at a time, and
the seed files, manifest and change report written (parity/golden/recording.py
holds the format and its checks).
"""

from __future__ import annotations

import datetime
import os

import numpy as np

from tf1kit import files
from parity import sides
from parity.golden import changes, recording, step_traces


def record(folder: str, experiment, seeds, config: dict, data: dict, environment: dict,
           value_steps=step_traces.DEFAULT_VALUE_STEPS, log=print, command: str = "") -> str:
    """Train the legacy side for each seed, trace its steps, and write the
    recording (with CHANGES when it replaces one); returns a summary line."""
    legacy, seed_files, entries = {}, {}, {}
    steps = step_traces.trace_steps(experiment.total_steps, value_steps)
    for seed in seeds:
        order = sides.tf1_order(experiment, seed)  # before the run: both draw numpy's RNG
        side = legacy[seed] = sides.run_legacy(experiment, seed, log)
        files.raise_if_interrupted()  # before anything is written
        traced = {}
        if side.run is not None:
            log(f"[legacy seed {seed}] tracing steps {step_traces.describe_steps(steps)} "
                "(a step-by-step replay: what makes --record slower than a live comparison)")
            traced = legacy_traces(experiment, seed, side.run, order, steps, log)
            files.raise_if_interrupted()
            seed_files[seed] = seed_arrays(side.run, order, traced, value_steps)
        else:
            seed_files[seed] = None
        entries[str(seed)] = seed_entry(side, sorted(traced))
    failures = [seed for seed, side in legacy.items() if side.run is None]
    manifest = {"format_version": recording.FORMAT_VERSION,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"),
                "command": command, "config": config, "data": data, "environment": environment,
                "traces": {"steps": steps, "value_steps": [step for step in steps
                                                           if step in value_steps]},
                "seeds": entries}
    diff = changes.against_previous(folder, manifest, seed_files)
    recording.write(folder, manifest, seed_files, diff)
    size = sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)
               if name != recording.CHANGES)
    return (f"recorded legacy, {len(seeds)} seed(s) of {experiment.total_steps} steps, to "
            f"{folder} ({size / 1e6:.1f} MB)" + (f"; {len(failures)} seed(s) stopped on a "
                                                  "NaN/Inf loss" if failures else "")
            + (f"; what changed since the recording it replaces: {os.path.join(folder, recording.CHANGES)}"
               if diff is not None else ""))


def seed_arrays(run, order: list, traced: dict, value_steps=()) -> dict:
    """A LegacyRun, its batch order and its traces as the arrays of its
    seed file."""
    arrays = {"order": recording.order_array(order), **step_traces.trace_arrays(traced, value_steps),
              "step_losses": np.asarray(run.step_losses, np.float32),
              "epoch_costs": np.asarray(run.epoch_costs, np.float32),
              "test_codes": np.asarray(run.test_codes, np.float32),
              "test_cost": np.float32(run.test_cost),
              "test_reconstructions": np.asarray(run.test_reconstructions, np.float32)}
    arrays.update({f"initial/{name}": value for name, value in run.initial_weights.items()})
    arrays.update({f"final/{name}": value for name, value in run.final_weights.items()})
    arrays.update({f"variant/{key}": value for key, value in run.variant_report.items()
                   if isinstance(value, np.ndarray)})
    return arrays


def seed_entry(side, traced_steps=()) -> dict:
    """A seed's manifest entry before `write` adds its file and hash: the
    variant's numbers (its arrays go to the seed file) and its traced
    steps, or how it stopped."""
    if side.run is None:
        return {"failure": side.failure, "failed_at": side.failed_at}
    return {"failure": None, "variant_report": sides.variant_numbers(side.run.variant_report),
            "traced_steps": list(traced_steps)}


def legacy_traces(experiment, seed: int, run, order: list, steps: list, log=print) -> dict:
    """{step: legacy trace} for `steps`, from a step-by-step replay of the
    original graph from `run`'s initial weights on `order` (the run's own
    batches). Each step's cost is checked against the loss the training
    loop printed: the replay stops, and tracing with it, at the first that
    differs (logged), so every recorded trace is of the recorded run."""
    from legacy.steps import LegacyStepper  # imports TensorFlow
    if not steps:
        return {}
    stepper = LegacyStepper(experiment.hyper, experiment.variant, run.initial_weights)
    traced, wanted = {}, set(steps)
    try:
        batches = sides.tf1_batches(experiment.arrays.train_images, order[:max(steps)], seed,
                              experiment.variant)
        for step, batch in enumerate(batches, start=1):
            pair = batch if isinstance(batch, tuple) else (batch, None)
            if step in wanted:
                trace = stepper.traced_step(*pair)
                cost = next(t.value for t in trace if t.kind == "loss")
                traced[step] = trace
            else:
                cost = stepper.step(*pair)
            if np.float32(cost).tobytes() != np.float32(run.step_losses[step - 1]).tobytes():
                traced.pop(step, None)
                log(f"[legacy seed {seed}] the step-by-step replay differs from the training "
                    f"loop at step {step}: traces recorded for steps before it only")
                break
    finally:
        stepper.close()
    return traced
