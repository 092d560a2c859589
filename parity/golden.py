"""Checking the modern side against a golden recording (`compare.py
--against DIR`): the recording's configuration applied to the command
line, its data and environment compared with this run's, and its legacy
runs turned back into what a live comparison would have trained.
"""

from __future__ import annotations

import os

import numpy as np

from common.errors import DataError
from parity import recording
from parity.sides import SideResult

# Recorded configuration key -> (argument, flag) of compare.py.
FLAGS = {"learning_rate": ("learning_rate", "--learning-rate"),
         "training_epochs": ("epochs", "--epochs"),
         "batch_size": ("batch_size", "--batch-size"),
         "steps_per_epoch": ("steps_per_epoch", "--steps-per-epoch")}
VARIANT_FLAGS = {"name": ("variant", "--variant"),
                 "sparsity_target": ("sparsity_target", "--sparsity-target"),
                 "sparsity_weight": ("sparsity_weight", "--sparsity-weight"),
                 "weight_decay": ("weight_decay", "--weight-decay"),
                 "noise": ("noise", "--noise"), "noise_level": ("noise_level", "--noise-level")}


def apply_config(args, manifest: dict, folder: str, parse_args) -> None:
    """Give `args` the recording's configuration. A flag the user set to
    something else than the recording's value is refused, naming both.
    `parse_args` is compare.py's: a flag counts as set when it differs from
    its default in the same --mode (idiomatic's --seeds defaults to 5)."""
    defaults = parse_args(["--mode", args.mode])
    config = manifest["config"]
    wanted = [(config[key], attribute, flag) for key, (attribute, flag) in FLAGS.items()]
    wanted += [(value, *VARIANT_FLAGS[key]) for key, value in config["variant"].items()]
    seeds = config["seeds"]
    wanted += [(seeds[0], "seed", "--seed"), (len(seeds), "seeds", "--seeds")]
    for recorded, attribute, flag in wanted:
        given = getattr(args, attribute)
        if given != getattr(defaults, attribute) and given != recorded:
            raise DataError(f"{flag} {given} contradicts the recording in {folder}, made with "
                            f"{flag} {recorded}: drop the flag, or record again")
        setattr(args, attribute, recorded)
    if args.mode == "idiomatic" and len(seeds) < 2:
        raise DataError(f"--mode idiomatic needs 2 or more seeds; the recording in {folder} "
                        f"has {len(seeds)}: record with --seeds 5")


def check_data(manifest: dict, source, folder: str) -> None:
    """Refuse data whose files differ from those the recording was made on."""
    recorded = manifest["data"]["files"]
    current = recording.data_record(source)["files"]
    for name in sorted(set(recorded) | set(current)):
        if recorded.get(name) != current.get(name):
            raise DataError(
                f"the recording in {folder} was made on data with {name} of SHA-256 "
                f"{str(recorded.get(name))[:12]}..., this data's is "
                f"{str(current.get(name))[:12]}... ({manifest['data']['source']} then, "
                f"{source.describe()} now)")


def environment_differences(recorded: dict, current: dict) -> list:
    """What differs between the recording's environment and this one:
    the versions and the machine, as "what: then -> now" lines."""
    lines = []
    for part in ("versions", "machine"):
        then, now = recorded.get(part, {}), current.get(part, {})
        for key in sorted(set(then) | set(now)):
            if then.get(key) != now.get(key):
                lines.append(f"{key}: {then.get(key)} -> {now.get(key)}")
    for key in ("device", "device_name", "op_determinism", "tensor_float_32", "xla"):
        if recorded.get(key) != current.get(key):
            lines.append(f"{key}: {recorded.get(key)} -> {current.get(key)}")
    return lines


def recorded_sides(manifest: dict, arrays: dict, test_labels) -> dict:
    """{seed: SideResult} of the recording's legacy runs, as LegacyRuns
    (seconds 0: not timed here)."""
    from legacy.training import LegacyRun  # loads TensorFlow: only once it is set up
    sides = {}
    for seed, stored in arrays.items():
        entry = manifest["seeds"][str(seed)]
        if stored is None:
            sides[seed] = SideResult(None, entry["failure"], 0.0, entry.get("failed_at"))
            continue

        def part(prefix):
            return {key[len(prefix):]: value for key, value in stored.items()
                    if key.startswith(prefix)}
        run = LegacyRun(
            step_losses=stored["step_losses"], epoch_costs=[float(c) for c in stored["epoch_costs"]],
            initial_weights=part("initial/"), final_weights=part("final/"),
            test_codes=stored["test_codes"], test_cost=float(stored["test_cost"]),
            test_reconstructions=stored["test_reconstructions"],
            variant_report={**entry.get("variant_report", {}), **part("variant/")},
            test_labels=np.asarray(test_labels),
            steps_per_epoch=manifest["config"]["steps_per_epoch"], seconds=0.0)
        sides[seed] = SideResult(run, None, 0.0)
    return sides


def describe(folder: str, manifest: dict, differences: list) -> dict:
    """The report's `recording` record."""
    return {"folder": os.path.abspath(folder), "created": manifest["created"],
            "format_version": manifest["format_version"],
            "environment_differences": differences}
