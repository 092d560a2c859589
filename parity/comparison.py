"""One comparison, from the parsed command line to the printed summary:
what `python compare.py` does (compare.py holds only its flags).

Three kinds of run share it: live (both sides train, parity/engine.py),
`--record DIR` (the legacy side alone, written as a golden recording) and
`--against DIR` (the modern side alone, against a recording). Everything
the user can get wrong (flags, folders, data, a damaged recording) is
refused before TensorFlow loads.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time

from common import cli
from tf1kit import files
from modern import backend as backends
from parity import engine, floor, report, verdict
from tf1kit import environment
from parity.golden import against, recording, rounding, step_traces
from parity.golden.record import record
from parity.golden.sets import RecordingSet
from parity.perturbations import NONE, PERTURBATIONS

RECORDED = "recorded"  # run's outcome for --record: nothing was compared


def run(args, defaults, command: str) -> str:
    """Run what `args` (compare.py's flags) asks for and print its summary;
    returns the verdict's outcome (RECORDED for --record). `defaults` are
    the flags' values when not given, to tell a flag the user set from one
    a recording sets; `command` is written into a recording."""
    backend = backends.select(args.backend)  # before anything loads Keras
    recordings = None
    if args.against is not None:  # checked and applied before anything else
        recordings = RecordingSet(args.against)
        against.apply_config(args, recordings.manifest, args.against, defaults)
    variant = cli.variant_from(args)
    if args.record is not None:
        recording.check_folder(args.record, args.force)
    else:
        report.check_results_folder(args.out, args.force)
    loaded = cli.load_data(args)  # each file read once, checked before TensorFlow loads
    if recordings is not None:
        against.check_data(recordings.manifest, loaded.source, args.against)
    # TensorFlow runs here unless the modern side alone runs on another backend.
    tensorflow = backend == "tensorflow" or recordings is None
    here = environment.environment_before(args.device, backend, tensorflow)
    threads = {key: value for key, value in (("intra_op", args.intra_op_threads),
                                              ("inter_op", args.inter_op_threads)) if value}
    member = chosen_because = None
    if recordings is not None:
        member, chosen_because = recordings.choose(here)
        # The recording's thread counts, unless a flag says otherwise.
        threads = {**(environment.threads_of(member.manifest["environment"]) or {}), **threads}
    configured = {**here, "threads": environment.default_threads()}
    if tensorflow:  # TensorFlow imported, its runtime not started
        configured.update(environment.configure_tensorflow(args.device, threads))
    if recordings is None and args.record is None:  # legacy trains beside the modern side
        configured["legacy_session"] = environment.LEGACY_SESSION
    if backend == "jax":  # the modern side's settings are the record's
        configured.update(backends.configure_jax(args.device))
    strategy = engine.make_strategy(args.replicas) if args.strategy else None
    files.raise_if_interrupted()  # a Ctrl-C during the import stops here

    log = (lambda line: None) if args.quiet else print
    setup_seconds = floor.process_seconds()
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    experiment = engine.make_experiment(loaded.raw, loaded.source.validation_size,
                                        cli.hyperparameters_from(args), variant,
                                        loaded.steps_per_epoch, data_seed=args.seed,
                                        legacy=member is None)
    experiment = dataclasses.replace(experiment, strategy=strategy, backend=backend)
    if loaded.explanation:
        log(loaded.explanation)
    seeds = [args.seed + offset for offset in range(args.seeds)]
    config = report.config_record(experiment, args.strategy, args.replicas)
    if args.record is not None:
        print(record(args.record, experiment, seeds, {**config, "seeds": seeds},
                     recording.data_record(loaded.source), configured,
                     step_traces.DEFAULT_VALUE_STEPS if args.trace_values is None
                     else args.trace_values, log, command))
        return RECORDED
    results = compare_seeds(args, experiment, seeds, member, log)
    records = [result.record for result in results]
    overall, statistics = verdict.overall(args.mode, records)
    replayed, differences = None, []
    if member is not None:
        replayed = report.recording_record(member, configured, chosen_because)
        differences = replayed["bit_deciding_differences"]
    elif backend != "tensorflow":
        differences = [f"backend: tensorflow -> {backend}"]
    if differences and args.mode == "exact":
        # Another bit-deciding environment: a bit difference is judged.
        overall = rounding.overall(records, differences)
    result = report.assemble(args, config=config,
                             data=report.data_summary(loaded.source, experiment),
                             environment=configured, results=results,
                             judged=(overall, statistics), recording=replayed,
                             timings={"started": started_at, "setup_seconds": setup_seconds,
                                      "per_seed": [r.timing for r in results],
                                      "total_seconds": time.perf_counter() - started})
    report.publish(result, results, experiment, args.out)
    return overall["outcome"]


class _OneTracePerSeed(logging.Filter):
    """Each seed builds its own model, and with it its own training and
    evaluation `tf.function`s: one trace per seed, by design. TensorFlow
    counts the traces of one Python function across those instances and,
    from the fifth seed on, warns of "retracing": not so here."""

    def filter(self, record) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def compare_seeds(args, experiment, seeds: list, member, log) -> list:
    """Each seed's engine.SeedResult: both sides trained, or the modern
    side against `member`'s recorded runs. Explained: every mismatching
    seed in exact mode; in idiomatic mode, where the losses part is
    expected, the first seed only."""
    if len(seeds) > 1:
        logging.getLogger("tensorflow").addFilter(_OneTracePerSeed())
    perturbation = PERTURBATIONS[args.perturb] if args.perturb else NONE
    recorded = {} if member is None else against.recorded_sides(
        member.manifest, member.arrays, experiment.arrays.test_labels)
    return [engine.compare_seed(experiment, seed, args.mode, perturbation, log,
                                explain_step=not args.no_explain and (
                                    args.mode == "exact" or seed == seeds[0]),
                                recorded=recorded.get(seed),
                                localize=against.localize if member is not None else None)
            for seed in seeds]
