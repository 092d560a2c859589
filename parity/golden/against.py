"""Checking the modern side against a golden recording (`compare.py
--against DIR`): the recording's configuration applied to the command
line, its data and environment compared with this run's, its legacy runs
turned back into what a live comparison would have trained, and a
mismatch localized with its recorded traces. Nothing here imports
legacy/ (tests/test_recording.py checks that `--against` never does).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from common.errors import DataError
from common.results import TrainedRun
from common.steps import TracedTensor
from parity.golden import recording, step_traces
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
    then, now = threads_of(recorded), threads_of(current)
    if then != now:
        lines.append(f"threads: {then} -> {now}")
    return lines


@dataclasses.dataclass
class RecordedRun(TrainedRun):
    """A recorded legacy run (seconds 0: not timed here), plus the batch
    order it trained on and its seed file, for the traces."""

    order: np.ndarray         # [steps, batch size]: TF1's next_batch indices
    arrays: dict


def _part(stored: dict, prefix: str) -> dict:
    return {key[len(prefix):]: value for key, value in stored.items() if key.startswith(prefix)}


# What decides a float32 run's bits on a CPU (measured, docs/bit_envelope.md:
# the same program and seed end at other losses on an AMD EPYC and an Intel
# Xeon, whose instruction sets differ, with oneDNN on and off, and on some
# CPUs with another intra-op thread count; TensorFlow promises nothing
# across versions). Where all of these are equal, a recording is expected
# to be reproduced bit for bit; elsewhere a difference is judged
# (parity/golden/rounding.py).
BIT_DECIDING = (("versions", "tensorflow"), ("versions", "keras"), ("versions", "numpy"),
                ("machine", "cpu_flags"), ("machine", "onednn"), (None, "device"),
                ("threads", "intra_op"), ("threads", "inter_op"))


def threads_of(environment: dict) -> dict | None:
    """The thread counts an environment record ran with. Recordings made
    before they were recorded ran with TensorFlow's defaults, one thread
    per core of the machine they name (None where that is unknown)."""
    if environment.get("threads"):
        return dict(environment["threads"])
    cores = environment.get("machine", {}).get("cores")
    return {"intra_op": cores, "inter_op": cores} if cores else None


def bit_compatibility(recorded: dict, current: dict, threads: bool = True) -> list:
    """What differs, of BIT_DECIDING, between a recording's environment
    and this one, as "what: then -> now" lines; [] where the recording is
    expected to be reproduced bit for bit. `threads` False leaves the
    thread counts out (a replay takes the recording's)."""
    lines = []
    for part, key in BIT_DECIDING:
        if part == "threads":
            if not threads:
                continue
            then, now = ((threads_of(environment) or {}).get(key)
                         for environment in (recorded, current))
            key = f"{key}_threads"
        else:
            then = (recorded.get(part, {}) if part else recorded).get(key)
            now = (current.get(part, {}) if part else current).get(key)
        if key == "onednn":  # what the kernels are, not how it was decided
            then, now = (value.get("enabled") if isinstance(value, dict) else value
                         for value in (then, now))
        if then != now:
            lines.append(f"{key}: {then} -> {now}")
    return lines


def recorded_sides(manifest: dict, arrays: dict, test_labels) -> dict:
    """{seed: SideResult} of the recording's legacy runs (seconds 0)."""
    sides = {}
    for seed, stored in arrays.items():
        entry = manifest["seeds"][str(seed)]
        if stored is None:
            sides[seed] = SideResult(None, entry["failure"], 0.0, entry.get("failed_at"))
            continue
        run = RecordedRun(
            step_losses=stored["step_losses"],
            epoch_costs=[float(cost) for cost in stored["epoch_costs"]],
            initial_weights=_part(stored, "initial/"), final_weights=_part(stored, "final/"),
            test_codes=stored["test_codes"], test_cost=float(stored["test_cost"]),
            test_reconstructions=stored["test_reconstructions"],
            variant_report={**entry.get("variant_report", {}), **_part(stored, "variant/")},
            test_labels=np.asarray(test_labels),
            steps_per_epoch=manifest["config"]["steps_per_epoch"], seconds=0.0,
            order=stored["order"].astype(np.int64), arrays=stored)
        sides[seed] = SideResult(run, None, 0.0)
    return sides


def localize(experiment, seed: int, mode: str, perturbation, run: RecordedRun,
             loss_step: int) -> dict:
    """The `divergence` record of a seed whose losses differ from the
    recording's from `loss_step` on, found with the recorded traces alone.

    The modern side is replayed one step at a time from its start; at each
    recorded trace step up to `loss_step` its traced step is compared,
    digest by digest, with the recorded one. At the first that differs:
    if the state the step starts from is the recorded one, the difference
    was born in that step (step 0: the starting states differ); if not, it
    was born between the previous traced step and this one (`born_within`).
    Where the recording kept the step's values, each differing tensor gets
    its size in ulps and both sides their distance from the float64
    referee; elsewhere only the modern side's."""
    from modern.steps import ModernStepper
    from parity import divergence, engine
    from parity.sides import modern_setup
    recorded = step_traces.RecordedTraces(run.arrays)
    setup = modern_setup(experiment, seed, mode, perturbation, run.initial_weights)
    legacy_batches, modern_batches = engine.replay_batches(
        experiment, seed, perturbation, setup, run.order, loss_step)
    replay = divergence.Replay(None, ModernStepper(setup.hyper, experiment.variant,
                                                   setup.options, setup.initial, seed=seed),
                               legacy_batches, modern_batches, experiment.hyper,
                               experiment.variant)
    record = {"step": None, "loss_step": loss_step, "first": None, "others": {},
              "referee": {}, "verdict": None, "tensors": [], "source": "recording"}
    checked = [step for step in recorded.steps if step <= loss_step]
    done = previous = 0
    for step in checked:
        for earlier in range(done + 1, step):
            replay.modern.step(*modern_batches[earlier - 1])
        before = replay.modern.state()
        trace = replay.modern.traced_step(*modern_batches[step - 1])
        done = step
        current = {step_traces.key(t.kind, t.name): step_traces.digest(t.value) for t in trace}
        differing = step_traces.compare_digests(recorded.digests(step), current)
        if differing:
            return _explain(record, replay, recorded, step, previous, before, trace, differing)
        previous = step
    record["verdict"] = (f"the recorded traces of steps {step_traces.describe_steps(checked)} are "
                         f"identical: the difference was born in steps {previous + 1}-"
                         f"{loss_step}, between the steps the recording traced")
    record["born_within"] = [previous + 1, loss_step]
    return record


def _explain(record, replay, recorded, step, previous, before, trace, differing) -> dict:
    """Fill `record` from the first traced step whose digests differ."""
    from parity import divergence
    modern = {step_traces.key(t.kind, t.name): t for t in trace}
    starts_apart = any(name.startswith("initial ") for name in differing)
    if starts_apart and step > 1:
        record["born_within"] = [previous + 1, max(previous + 1, step - 1)]
    else:
        record["step"] = 0 if starts_apart else step
    entries = []
    for name in differing:
        kind, _, tensor = name.partition(" ")
        value = recorded.value(step, kind, tensor)
        ours = modern.get(name)
        if value is not None and ours is not None:
            found = divergence.compare_tensor(TracedTensor(kind, tensor, value), ours)
        else:
            found = {"kind": kind, "tensor": tensor,
                     "shape": list(np.shape(ours.value if ours is not None else value)),
                     "elements_differing": None, "max_abs_difference": None,
                     "max_ulp_distance": None}
        entries.append(found)
    divergence.describe_tensors(record, entries)
    if starts_apart:  # no common state to referee from
        record["verdict"] = ("the two sides start from different weights" if step == 1 else
                             f"born in steps {previous + 1}-{step - 1}, between the steps "
                             "the recording traced: the state step "
                             f"{step} starts from already differs")
        return record
    modern_values = {(t.kind, t.name): t.value for t in trace}
    legacy_values = {(kind, tensor): recorded.value(step, kind, tensor)
                     for kind, tensor in (name.partition(" ")[::2] for name in recorded.names)}
    kept = all(value is not None for value in legacy_values.values())
    modern_exact = divergence.referee_lookup(replay, "modern", before, step, modern_values)
    if kept:
        legacy_exact = divergence.referee_lookup(replay, "legacy", before, step, legacy_values)
        record["referee"] = divergence.referee_distances(
            entries, {"legacy": legacy_values, "modern": modern_values},
            {"legacy": legacy_exact, "modern": modern_exact})
        first = f"{entries[0]['kind']} {entries[0]['tensor']}"
        record["verdict"] = divergence.judge(record["referee"].get(first))
        return record
    record["referee"] = modern_distances(entries, modern_values, modern_exact)
    first = record["referee"].get(f"{entries[0]['kind']} {entries[0]['tensor']}")
    record["verdict"] = (
        f"legacy's values of step {step} were not recorded (record with --trace-values "
        f"{step}); modern lies {first['modern_ulp']:.3g} ulp from exact arithmetic"
        if first else f"legacy's values of step {step} were not recorded")
    return record


def modern_distances(entries: list, values: dict, exact) -> dict:
    """{tensor: {legacy_ulp: 'not recorded', modern_ulp}}: the modern
    side's mean distance from the float64 value over all its elements,
    where legacy's values (and so the elements that differ) are unknown."""
    from parity import referee
    result = {}
    for entry in entries:
        key = (entry["kind"], entry["tensor"])
        reference = exact(*key)
        if reference is None or key not in values or \
                np.shape(reference) != np.shape(values[key]):
            continue
        distance = referee.ulps_from(np.asarray(values[key], np.float32), reference)
        result[f"{key[0]} {key[1]}"] = {"legacy_ulp": "not recorded",
                                        "modern_ulp": float(np.mean(distance))}
    return result


def describe(folder: str, manifest: dict, differences: list, bit_differences: list,
             chosen_because: str | None = None) -> dict:
    """The report's `recording` record."""
    return {"folder": os.path.abspath(folder), "created": manifest["created"],
            "format_version": manifest["format_version"],
            "environment_differences": differences, "bit_deciding_differences": bit_differences,
            "chosen_because": chosen_because}
