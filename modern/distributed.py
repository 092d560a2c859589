"""The modern model on `tf.distribute`: MirroredStrategy (several devices
of one machine) and MultiWorkerMirroredStrategy (several processes or
hosts, described by TF_CONFIG), TF2's answer to TF1's
`replica_device_setter` / `ClusterSpec` / `SyncReplicasOptimizer` data
parallelism. No counterpart in legacy/: the original ran on one device.
The loopback launcher that starts the workers is modern/launcher.py.

One global step means what it meant in 2018: the global batch of 256 is
TF1's `next_batch` batch, split in order into equal slices, one per
replica; each replica's loss is its slice's mean scaled by its share of the
global batch (slice / 256), so that the sum over replicas (the all-reduce
of the gradients, and the reported loss) is the global batch's mean, as
`tf.nn.compute_average_loss` scales a per-example loss. With one replica
the scale is exactly 1.0 and, measured (a 2-core Intel Xeon VM, TF 2.21.0,
Keras 3.15.1), training is bit-identical to no strategy
(tests/test_distributed.py); with two, the loss is summed from two
half-batch means and the gradients all-reduced, in another order: rounding
differences from step 1.

Without GPUs the replicas are logical CPU devices, which must be made
before TensorFlow's runtime starts (`use_devices`).
"""

from __future__ import annotations

import contextlib
import hashlib

import tensorflow as tf

from common.errors import PeerLost
from tf1kit.errors import DataError
from modern.autoencoder import optimizer_step
from modern.checkpoints import get_original_weights
from modern.launcher import check_split, cluster_from_environment


def use_devices(replicas: int) -> list:
    """The device names of `replicas` replicas: that many GPUs where there
    are, else as many logical CPU devices made from the CPU (only before
    the runtime starts: a DataError afterwards)."""
    gpus = tf.config.get_visible_devices("GPU")  # compare.py --device cpu hides them
    if len(gpus) >= replicas:
        return [f"/gpu:{index}" for index in range(replicas)]
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        if len(tf.config.get_logical_device_configuration(cpu) or []) < replicas:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)])
    except RuntimeError:
        logical = tf.config.list_logical_devices("CPU")
        if len(logical) < replicas:
            raise DataError(f"--replicas {replicas}: TensorFlow already started with "
                            f"{len(logical)} CPU device(s)") from None
    return [f"/cpu:{index}" for index in range(replicas)]


def mirrored(replicas: int):
    """A MirroredStrategy over `replicas` devices (use_devices)."""
    return tf.distribute.MirroredStrategy(use_devices(replicas))


def multi_worker():
    """MultiWorkerMirroredStrategy for this process, one of the workers
    TF_CONFIG names (one replica per worker: its CPU, or its first GPU);
    must be made before any other TensorFlow op. Returns (strategy,
    worker index)."""
    _, index = cluster_from_environment()
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.AUTO)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options), index


@contextlib.contextmanager
def peers_watched(strategy):
    """Turn the errors a collective raises when another worker dies
    (Unavailable, Aborted, Cancelled) into one PeerLost line."""
    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.AbortedError,
            tf.errors.CancelledError) as error:
        if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            raise
        lines = [line.strip() for line in (error.message or "").splitlines()]
        reason = next((line for line in lines if "aborted by" in line), None) or \
            next((line for line in lines if line and not line.endswith(":")), "no details")
        raise PeerLost(f"lost contact with another worker ({type(error).__name__}: "
                       f"{reason[:200]}); the launcher names the worker that failed") from None


def weights_digest(model) -> str:
    """SHA-256 of the model's weights (original names, sorted): equal on two
    workers exactly when their weights are bit for bit the same."""
    digest = hashlib.sha256()
    for name, value in sorted(get_original_weights(model).items()):
        digest.update(name.encode() + value.tobytes())
    return digest.hexdigest()


def run_on_slices(strategy, replica_fn, batch, batch_size: int):
    """`replica_fn(slice, scale)` on every replica, each given its equal
    slice of `batch` in order (replica 0 the first) and the scale of its
    mean loss (slice / global batch); the per-replica results."""
    replicas = strategy.num_replicas_in_sync
    check_split(batch_size, replicas)
    share = batch_size // replicas
    scale = share / batch_size  # exactly 1.0 for one replica

    def slice_for(context):
        first = context.replica_id_in_sync_group * share
        return batch[first:first + share]
    parts = strategy.experimental_distribute_values_from_function(slice_for)
    return strategy.run(replica_fn, args=(parts, scale))


def make_distributed_step(model, optimizer, loss_fn, strategy, batch_size: int):
    """One optimizer step under `strategy` on a global batch: returns the
    global loss (the sum of the replicas' scaled slice losses). `model` and
    `optimizer` must have been made in `strategy.scope()`. Looped over
    batch indices by training.gather_loop, as the one-device step is."""
    with strategy.scope():  # Adam's slots are mirrored variables too
        optimizer.build(model.trainable_variables)

    def replica_step(inputs, scale):
        # The slice's scaled loss: what the all-reduce and the reported sum add up.
        return optimizer_step(model, optimizer, inputs, inputs, loss_fn,
                              gradient_scale=scale) * scale

    def one_step(batch):
        return strategy.reduce(tf.distribute.ReduceOp.SUM,
                               run_on_slices(strategy, replica_step, batch, batch_size),
                               axis=None)
    return one_step
