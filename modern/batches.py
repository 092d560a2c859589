"""What the custom loop is fed, and how it is paced: the `Loop` settings
of `training.train`, and the `Feed` that hands each compiled call its
chunk of batches in the form that call takes.

Three forms, one order of batches: indices into the training set, which
the in-graph loop gathers from a resident copy (the fast path, and the only
one a strategy or a backup takes); a stack of batches for the in-graph
loop (the denoising variant, whose inputs differ from its targets); one
batch per call for the per-step loop.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from modern import input_data


@dataclasses.dataclass(frozen=True)
class Loop:
    """How `training.train` runs, apart from what it computes.

    - `batches`: the exact sequence of float32 batches, each a clean batch
      or an (inputs, targets) pair (denoising: corrupted, clean); or
    - `batch_indices`: the same as index arrays into the training images
      (not for denoising); compare.py passes TF1's `next_batch` order so;
      neither: a seeded tf.data pipeline (as indices where the loop is
      in-graph and the variant is not denoising: the same order);
    - `steps_per_epoch`: default int(examples / batch size), the original's;
    - `steps_per_call` > 1: that many steps per call of the in-graph loop
      (the same numbers, less per-step overhead; a NaN/Inf loss is found at
      the end of the call that produced it);
    - `show_progress`: a Keras progress bar per epoch (None: when stdout
      is a terminal); `log` receives the original's printed lines;
    - `strategy`: a tf.distribute strategy (modern/distributed.py): the
      deep variant, on batch indices, without XLA;
    - `backup`: a modern/backup.py EpochBackup, written after every epoch;
      a run resumes after the epochs it holds (batch indices only).
    """

    batches: object = None
    batch_indices: object = None
    steps_per_epoch: int | None = None
    steps_per_call: int = 1
    show_progress: bool | None = None
    log: object = print
    strategy: object = None
    backup: object = None

    def check(self, variant, options) -> None:
        """Refuse settings that cannot run together (ValueError)."""
        if self.batches is not None and self.batch_indices is not None:
            raise ValueError("give batches or batch_indices, not both")
        if self.batch_indices is not None and variant.denoising:
            raise ValueError("the denoising variant corrupts each batch: give batches")
        if self.strategy is not None and (variant.name != "deep" or self.batches is not None):
            raise ValueError("a strategy trains the deep variant on batch indices only")
        if self.strategy is not None and options.jit_compile:
            raise ValueError("the distributed step runs without XLA: jit_compile is not applied")
        if self.backup is not None and (variant.denoising or self.batches is not None):
            raise ValueError("a backup resumes runs on batch indices only")

    @property
    def in_graph(self) -> bool:
        """Whether the loop runs in the graph (indices or stacked batches)."""
        return self.steps_per_call > 1 or self.strategy is not None or self.backup is not None


class Feed:
    """The batches of one run, handed out a chunk at a time (`next_chunk`)
    in the form its compiled step takes (`kind`)."""

    def __init__(self, data, hyper, variant, seed: int, loop: Loop):
        self.images, self.batch_size = data.train_images, hyper.batch_size
        self.steps_per_epoch = loop.steps_per_epoch or int(len(self.images) / hyper.batch_size)
        if self.steps_per_epoch < 1:
            raise ValueError(f"{len(self.images)} training images make no batch of "
                             f"{hyper.batch_size}")
        batches, indices = loop.batches, loop.batch_indices
        if batches is None and indices is None:
            if loop.in_graph and not variant.denoising:
                indices = (chunk.numpy() for chunk in input_data.make_index_dataset(
                    len(self.images), hyper.batch_size, seed))
            else:
                batches = input_data.make_dataset(self.images, hyper.batch_size, seed,
                                                  variant, seed)
        self.kind = "indices" if indices is not None else \
            "stacked" if loop.steps_per_call > 1 else "single"
        self._iterator = iter(indices if indices is not None else batches)
        self.taken = 0

    def _next(self):
        try:
            item = next(self._iterator)
        except StopIteration:
            raise ValueError(f"batches ran out after {self.taken} steps") from None
        self.taken += 1
        return item

    def skip(self, steps: int) -> None:
        """Pass over `steps` batches (those a resumed run already trained on)."""
        for _ in range(steps):
            self._next()

    def next_chunk(self, count: int) -> tuple:
        """The arguments of the compiled call that runs the next `count`
        steps: (indices [count, batch],), (inputs, targets) stacked
        [count, batch, 784], or one batch's (inputs, targets)."""
        if self.kind == "indices":
            return (np.stack([self._next() for _ in range(count)]).astype(np.int32),)
        pairs = [pair if isinstance(pair, tuple) else (pair, pair)
                 for pair in (self._next() for _ in range(count))]
        if self.kind == "single":
            return pairs[0]
        inputs = tf.constant(np.stack([np.asarray(inputs) for inputs, _ in pairs]))
        targets = inputs if all(inputs is targets for inputs, targets in pairs) else \
            tf.constant(np.stack([np.asarray(targets) for _, targets in pairs]))
        return inputs, targets
