"""Checking the modern side against a golden recording (`compare.py
--against DIR`): the recording's configuration applied to the command
line, its data and environment compared with this run's, its legacy runs
turned back into what a live comparison would have trained, and a
mismatch localized with its recorded traces. Nothing here imports
legacy/ (tests/test_recording.py checks that `--against` never does).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tf1kit.errors import DataError
from common.results import TrainedRun
from common.steps import TracedTensor
from parity import divergence, engine, judge, referee, sides
from parity.divergence import Divergence
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


def apply_config(args, manifest: dict, folder: str, defaults) -> None:
    """Give `args` the recording's configuration. A flag the user set to
    something else than the recording's value is refused, naming both.
    `defaults` are the flags' values when not given, in the same --mode
    (idiomatic's --seeds defaults to 5): a flag that differs from its
    default counts as set."""
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


@dataclasses.dataclass
class RecordedRun(TrainedRun):
    """A recorded legacy run (seconds 0: not timed here), plus the batch
    order it trained on and its seed file, for the traces."""

    order: np.ndarray         # [steps, batch size]: TF1's next_batch indices
    arrays: dict


def _part(stored: dict, prefix: str) -> dict:
    return {key[len(prefix):]: value for key, value in stored.items() if key.startswith(prefix)}


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
             loss_step: int) -> Divergence:
    """Where a seed whose losses differ from the
    recording's from `loss_step` on, found with the recorded traces alone,
    and every step whose values the recording kept, judged.

    The modern side is replayed one step at a time from its start; at each
    recorded trace step up to `loss_step` its traced step is compared,
    digest by digest, with the recorded one. At the first that differs:
    if the state the step starts from is the recorded one, the difference
    was born in that step (step 0: the starting states differ); if not, it
    was born between the previous traced step and this one (`born_within`).
    Each differing tensor gets its size in ulps. At every step whose values
    the recording kept (the birth step or not), both sides' tensors are
    judged from their own inputs (parity/judge.py): the verdict's ground."""
    recorded = step_traces.RecordedTraces(run.arrays)
    setup = sides.modern_setup(experiment, seed, mode, perturbation, run.initial_weights)
    value_steps = [step for step in recorded.steps if recorded.has_values(step)]
    last = max([loss_step, *value_steps])
    legacy_batches, modern_batches = engine.replay_batches(
        experiment, seed, perturbation, setup, run.order, last)
    replay = divergence.Replay(None, sides.modern_stepper(experiment, setup, seed),
                               legacy_batches, modern_batches, experiment.hyper,
                               experiment.variant, setup.options.optimizer == "keras_adam")
    found = Divergence(loss_step, source="recording")
    checked = [step for step in recorded.steps if step <= last]
    done = previous = 0
    explained, judged = False, {}
    for step in checked:
        for earlier in range(done + 1, step):
            replay.modern.step(*modern_batches[earlier - 1])
        before = replay.modern.state()
        trace = replay.modern.traced_step(*modern_batches[step - 1])
        done = step
        if step in value_steps:
            judged[step] = {"legacy": recorded.step_values(step),
                            "modern": {(t.kind, t.name): t.value for t in trace}}
        if explained or step > loss_step:
            continue
        current = {step_traces.key(t.kind, t.name): step_traces.digest(t.value) for t in trace}
        differing = step_traces.compare_digests(recorded.digests(step), current)
        if differing:
            _explain(found, replay, recorded, step, previous, before, trace, differing)
            explained = True
        else:
            previous = step
    if not explained:
        found.verdict = (f"the recorded traces of steps {step_traces.describe_steps(checked)} "
                         f"are identical: the difference was born in steps {previous + 1}-"
                         f"{loss_step}, between the steps the recording traced")
        found.born_within = [previous + 1, loss_step]
    if judged:
        found.judge = judge.judge_steps(judged, experiment.hyper, experiment.variant)
        if found.step and found.step in judged:
            found.verdict = judge.describe(found.judge, replay.stock_optimizer)
    return found


def _explain(found: Divergence, replay, recorded, step, previous, before, trace,
             differing) -> None:
    """Fill `found` from the first traced step whose digests differ."""
    modern = {step_traces.key(t.kind, t.name): t for t in trace}
    starts_apart = any(name.startswith("initial ") for name in differing)
    if starts_apart and step > 1:
        found.born_within = [previous + 1, max(previous + 1, step - 1)]
    else:
        found.step = 0 if starts_apart else step
    entries = []
    for name in differing:
        kind, _, tensor = name.partition(" ")
        value = recorded.value(step, kind, tensor)
        ours = modern.get(name)
        if value is not None and ours is not None:
            entry = divergence.compare_tensor(TracedTensor(kind, tensor, value), ours)
        else:
            entry = {"kind": kind, "tensor": tensor,
                     "shape": list(np.shape(ours.value if ours is not None else value)),
                     "elements_differing": None, "max_abs_difference": None,
                     "max_ulp_distance": None}
        entries.append(entry)
    found.describe_tensors(entries)
    if starts_apart:  # no common state to referee from
        found.verdict = ("the two sides start from different weights" if step == 1 else
                         f"born in steps {previous + 1}-{step - 1}, between the steps "
                         "the recording traced: the state step "
                         f"{step} starts from already differs")
        return
    modern_values = {(t.kind, t.name): t.value for t in trace}
    legacy_values = recorded.step_values(step)
    modern_exact = divergence.referee_lookup(replay, "modern", before, step, modern_values)
    if legacy_values is not None:
        legacy_exact = divergence.referee_lookup(replay, "legacy", before, step, legacy_values)
        found.referee = divergence.referee_distances(
            entries, {"legacy": legacy_values, "modern": modern_values},
            {"legacy": legacy_exact, "modern": modern_exact})
        return
    found.referee = modern_distances(entries, modern_values, modern_exact)
    found.verdict = (f"legacy's values of step {step} were not recorded (record with "
                     f"--trace-values {step}): its side cannot be judged")


def modern_distances(entries: list, values: dict, exact) -> dict:
    """{tensor: {legacy_ulp: 'not recorded', modern_ulp}}: the modern
    side's mean distance from the float64 value over all its elements,
    where legacy's values (and so the elements that differ) are unknown."""
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
