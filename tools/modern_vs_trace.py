"""Check the modern exact model against a trace of the unmodified original.

    python -m tf1kit.run --seed 0 --trace original.npz --max-session-runs 101 full_code.py
    python tools/modern_vs_trace.py original.npz --data MNIST_data --seed 0

The trace (tf1kit/run/session.py) holds the original's per-step cost, as
its training loop fetched it, and its trainable variables right after they
were initialized. The modern exact model (modern/, Keras 3) starts from
those very weights, trains on TF1's `next_batch` order for the same seed
(the numpy RNG that `--seed` seeded), and each of its per-step losses must
be the traced one, bit for bit (tf1kit/compare/cli.py `assert_matches`).
Exit status: 0 match, 1 a loss differs (the first one is named), 2 a bad
trace or flag.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import cli  # noqa: E402
from tf1kit.errors import DataError  # noqa: E402


def main(argv=None) -> int:
    parser = cli.ArgumentParser(
        prog="python tools/modern_vs_trace.py",
        description="Train the modern exact model from a run_tf1 trace's initial weights, on "
                    "TF1's batch order, and check its per-step losses against the trace's.")
    parser.add_argument("trace", help="a trace made by `python -m tf1kit.run --seed N "
                                      "--trace OUT.npz SCRIPT.py`")
    parser.add_argument("--data", default="MNIST_data",
                        help="the data the traced script read (default MNIST_data)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the --seed the script was traced with (default 0)")
    parser.add_argument("--fetch", default="Mean:0",
                        help="the traced fetch that is the per-step loss (default Mean:0, the "
                             "original's `cost = tf.reduce_mean(...)`)")
    args = parser.parse_args(argv)

    def run(_argv):
        from common import sources
        from tf1kit.trace import tracefile
        from tf1kit.compare.values import assert_matches
        recorded = tracefile.load(args.trace)
        if recorded.variables is None:
            raise DataError(f"{args.trace}: holds no initial variables (the script never had "
                            "them all initialized)")
        steps = len(recorded.values(args.fetch))
        if steps == 0:
            raise DataError(f"{args.trace}: keeps no values of {args.fetch!r}; it has "
                            f"{recorded.names()[:8]}")
        source = sources.DataSource(args.data)
        cli.quiet_tensorflow_logs()
        from common.config import Hyperparameters
        from tf1kit.data.input_data import tf1_batch_indices  # TF1's next_batch order, numpy only
        from modern import checkpoints, input_data, training
        from modern.batches import Loop
        from modern.options import EXACT
        try:
            start = {key: recorded.variables[name]
                     for key, name in checkpoints.TF1_CHECKPOINT_NAMES.items()}
        except KeyError as missing:
            raise DataError(f"{args.trace}: no variable {missing} of the original's 16; is it "
                            "a trace of the original autoencoder?") from None
        data = input_data.load(source)
        hyper = Hyperparameters(training_epochs=1)
        order = tf1_batch_indices(len(data.train_images), hyper.batch_size, steps, args.seed)
        result = training.train(data, hyper, EXACT, seed=args.seed, initial_weights=start,
                                loop=Loop(batch_indices=order, steps_per_epoch=steps,
                                          steps_per_call=steps, show_progress=False,
                                          log=lambda line: None))
        try:
            assert_matches(recorded, args.fetch, result.step_losses)
        except AssertionError as difference:
            print(f"MISMATCH: {difference}")
            return 1
        print(f"MATCH: the modern exact model's {steps} per-step losses are the traced "
              "original's, bit for bit")
        return 0
    return cli.run_main(run, parser.prog, [])


if __name__ == "__main__":
    sys.exit(main())
