"""Per-epoch backups of the custom loop, to resume a run that was killed:
TF2's answer to TF1's `MonitoredTrainingSession(checkpoint_dir=...)`,
which restored the latest checkpoint when a worker restarted. `fit` uses
Keras's own `BackupAndRestore` instead (modern/training.py).

`EpochBackup` keeps one `tf.train.Checkpoint` (the model, the optimizer
with Adam's slots and step counters, and the number of epochs done) in a
`tf.train.CheckpointManager`, written after every epoch. The folder also
holds `run.json`, the settings the run was started with: resuming with
other settings would continue a different experiment from this one's
weights, so it is refused in one line. The backup is deleted when training
ends normally, as Keras's BackupAndRestore does: it exists to survive a
fault, not to keep results.

Under MultiWorkerMirroredStrategy every worker must take part in a save
(the variables are read collectively); only the chief (worker 0) writes to
the folder, the others to a scratch folder inside it that is removed at
once, as TensorFlow's multi-worker custom-loop guide does. On real hosts
the folder must be on storage every worker can read.
"""

from __future__ import annotations

import json
import os
import shutil

from tf1kit.errors import DataError
from tf1kit.files import atomic_path
from modern import launcher

SETTINGS_FILE = "run.json"


class EpochBackup:
    """The backup of one run in `directory` (made if missing)."""

    def __init__(self, directory: str, settings: dict, worker_index: int = 0):
        self.directory, self.settings = directory, settings
        self.chief = worker_index == 0
        self.write_directory = directory if self.chief else \
            os.path.join(directory, f".worker-{worker_index}")
        self.epochs_done = None
        self.manager = None

    def check_settings(self) -> None:
        """Refuse a folder holding another run's backup (one line)."""
        path = os.path.join(self.directory, SETTINGS_FILE)
        if not os.path.exists(path):
            return
        try:
            with open(path) as file:
                found = json.load(file)
        except (OSError, ValueError) as error:
            raise DataError(f"--backup-dir {self.directory}: {SETTINGS_FILE} is unreadable "
                            f"({error}); delete the folder to start afresh") from None
        differing = sorted(key for key in set(found) | set(self.settings)
                           if found.get(key) != self.settings.get(key))
        if differing:
            raise DataError(f"--backup-dir {self.directory} holds a run with other settings "
                            f"({', '.join(differing)}); resume it with the same flags, or "
                            "delete the folder to start afresh")

    def attach(self, model, optimizer) -> int:
        """Track `model` and `optimizer` (built, so that every slot exists)
        and restore the latest backup if there is one; returns the number
        of epochs it holds (0 when starting afresh)."""
        import tensorflow as tf  # here: the settings are checked before TensorFlow loads

        self.check_settings()
        self.epochs_done = tf.Variable(0, dtype=tf.int64, trainable=False)
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer,
                                         epochs_done=self.epochs_done)
        self.manager = tf.train.CheckpointManager(checkpoint, self.write_directory,
                                                  max_to_keep=1)
        latest = tf.train.latest_checkpoint(self.directory)
        if latest is None:
            return 0
        checkpoint.restore(latest).assert_existing_objects_matched()
        return int(self.epochs_done.numpy())

    def resume(self, model, optimizer, feed, epochs: int, log=print) -> int:
        """`attach`, then pass over the batches of the epochs the backup
        holds in `feed` (modern/batches.py); returns the first epoch to train."""
        first_epoch = min(self.attach(model, optimizer), epochs)
        if first_epoch:
            feed.skip(first_epoch * feed.steps_per_epoch)
            log(f"resumed from {self.directory} after epoch {first_epoch}")
        return first_epoch

    def write_settings(self) -> None:
        """The chief writes run.json once (fit's BackupAndRestore writes the rest)."""
        if self.chief:
            os.makedirs(self.directory, exist_ok=True)
            settings = os.path.join(self.directory, SETTINGS_FILE)
            if not os.path.exists(settings):
                with atomic_path(settings) as staged, open(staged, "w") as file:
                    json.dump(self.settings, file, indent=1, sort_keys=True)

    def save(self, epochs_done: int) -> None:
        """Write the backup after `epochs_done` epochs (every worker calls it)."""
        self.write_settings()
        self.epochs_done.assign(epochs_done)
        self.manager.save(checkpoint_number=epochs_done)
        if not self.chief:
            shutil.rmtree(self.write_directory, ignore_errors=True)

    def finish(self) -> None:
        """Training ended normally: the chief deletes the backup."""
        if self.chief:
            shutil.rmtree(self.directory, ignore_errors=True)


def from_flags(args, variant) -> EpochBackup | None:
    """The backup `python -m modern --backup-dir` asks for (None without
    it), its settings checked before the data and TensorFlow load."""
    if not args.backup_dir:
        return None
    backup = EpochBackup(args.backup_dir, run_settings(args, variant), worker_index())
    backup.check_settings()
    return backup


def worker_index() -> int:
    """This process's index among TF_CONFIG's workers (0 without TF_CONFIG)."""
    if "TF_CONFIG" not in os.environ:
        return 0
    return launcher.cluster_from_environment()[1]


def run_settings(args, variant) -> dict:
    """The flags a backup must share with the run resuming it (not --epochs:
    a resumed run may train on for longer)."""
    replicas = {"mirrored": args.replicas, "multi-worker": args.workers or 2}.get(args.strategy, 1)
    return {"data": args.data, "seed": args.seed, "batch_size": args.batch_size,
            "learning_rate": args.learning_rate, "steps_per_epoch": args.steps_per_epoch,
            "variant": variant.name, "exact": args.exact, "loop": args.loop,
            "strategy": args.strategy, "replicas": replicas}
