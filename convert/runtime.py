"""What a rewrite written by tf1-convert imports besides Keras and the
faithful layers: MNIST as the script's `read_data_sets` served it, shuffled
batches for training on its own, and the proof against the script's trace
(its starting weights, its batches, its random draws; every step recorded
and compared by tf1-trace-compare)."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from common import sources
from common.config import Hyperparameters
from modern import input_data

VALIDATION_SIZE = Hyperparameters.validation_size  # read_data_sets' default: 5,000


def read_data_sets(data_dir: str, one_hot: bool, exact: bool = True) -> tuple:
    """(images, labels) of the training split TF1's read_data_sets made:
    images flattened to 784 floats in [0, 1] (`exact`: TF1's multiply by
    1/255, MIGRATION.md T11; else a division), labels one-hot or digits."""
    raw = sources.read_idx_folder(data_dir)
    kept = raw["train_images"][VALIDATION_SIZE:]
    images = input_data.scale_pixels(kept) if exact else \
        kept.reshape(len(kept), -1).astype(np.float32) / 255.0
    labels = raw["train_labels"][VALIDATION_SIZE:]
    return images, np.eye(10, dtype=np.float32)[labels] if one_hot else labels


def batches(examples: int, batch_size: int, seed: int, epochs: int | None = None,
            steps: int | None = None):
    """(epoch, indices) of each batch: a new shuffle every epoch, for
    `epochs` full passes or `steps` batches."""
    rng = np.random.default_rng(seed)
    per_epoch, served, epoch = examples // batch_size, 0, 0
    if per_epoch == 0:  # one line, not a loop that never trains
        raise SystemExit(f"error: {examples} training examples, fewer than one batch of "
                         f"{batch_size} (read_data_sets keeps the first {VALIDATION_SIZE:,} "
                         "for validation)")
    while (epochs is None or epoch < epochs) and (steps is None or served < steps):
        order = rng.permutation(examples)
        for start in range(0, per_epoch * batch_size, batch_size):
            if steps is not None and served == steps:
                return
            served += 1
            yield epoch, order[start:start + batch_size]
        epoch += 1


@dataclass
class Rewrite:
    """What the proof trains: the model, its optimizer and training step,
    `feeds(indices)` (the step's arguments for those examples), the
    script's variables by layer ({layer: {"kernel": TF1 name}}) and its
    placeholders by argument ({argument: TF1 feed name})."""
    model: object
    optimizer: object
    train_step: Callable
    feeds: Callable
    variables: dict
    placeholders: dict


def prove(against: str, rewrite: Rewrite, out: str) -> int:
    """Train the rewrite on the trace's batches from its starting weights
    and draws, record every step to `out`, print tf1-trace-compare's
    verdict and return its exit status."""
    from modern.tf1_random import TF1RandomOp
    from modern.tracing import StepRecorder
    from parity import trace

    recorded = trace.load(against)
    order = recorded.batch_order("train")
    if order is None or not recorded.steps:
        print(f"{against}: the trace holds no training steps with their batches "
              "(tf1-run --trace while the script trains)", file=sys.stderr)
        return 2
    order = order[:len(recorded.steps)]
    model, feeds = rewrite.model, rewrite.feeds
    first = feeds(order[0])
    wanted = [name for name in inspect.signature(model.call).parameters if name in first]
    model(*[first[name] for name in wanted])  # builds the layers
    for layer in model.layers:
        for part, name in rewrite.variables.get(layer.name, {}).items():
            getattr(layer, part).assign(recorded.variables[name])
    streams = [layer for layer in model.layers if isinstance(layer, TF1RandomOp)]
    recorder = StepRecorder(model, rewrite.optimizer)
    report = max(1, len(order) // 10)
    for step, indices in enumerate(order, start=1):
        for layer in streams:  # where the script's stream stood (evaluations draw too)
            layer.position.assign(recorded.random_position(layer.op_name, step))
        fed = feeds(indices)
        loss = rewrite.train_step(**fed)
        recorder.record(loss, **{rewrite.placeholders[name]: np.asarray(value)
                                 for name, value in fed.items()})
        if step % report == 0 or step == len(order):
            print(f"[proof] step {step}/{len(order)}: loss {float(loss):.6f}", flush=True)
    recorder.write(out)
    return trace.main([against, out])
