"""Run an unmodified TF1-era script on TensorFlow 2.x.

    python -m tf1kit.run [--trace OUT.npz] [--trace-steps 1-3] [--seed N]
                             [--data-dir DIR] [--max-session-runs N] [--max-steps N]
                             [--feed NAME=VALUE] SCRIPT.py [args...]

Inside the script:
- `import tensorflow as tf` gives `tf.compat.v1` with v2 behaviour disabled
  (placeholders, Session, graph mode), falling back to the TF2 namespace for
  names that compat.v1 lacks;
- `tf.layers`, `tf.nn.rnn_cell` and the rest of TF1's Keras-based API work:
  this process sets TF_USE_LEGACY_KERAS=1 before TensorFlow loads, so they
  are served by `tf_keras` (Keras 2, TensorFlow's home for them since 2.16);
  only this process switches;
- `tensorflow.examples.tutorials.mnist.input_data` and `.mnist` give this
  project's re-implementations (`tf1kit.data.input_data`, `tf1kit.data.tutorial_mnist`);
- `tf.contrib` resolves the symbols with an exact TF2 form
  (`tf1kit/run/contrib.py`) and refuses every other, naming it;
- every `Session.run` is counted: `--max-session-runs N` stops the script
  cleanly before call N + 1 (exit 0), `--trace OUT.npz` records the fetched
  values and every training step's inputs, gradients, slots and weights
  (`tf1kit/run/session.py`; compared with a rewrite by tf1kit/compare/cli.py);
- `--feed keep_prob=1.0` feeds another value in every training call
  (tf1kit/run/feeds.py), recorded in the trace;
- `--data-dir DIR` makes the tutorial loader read DIR whatever folder the
  script names (a hard-coded "/tmp/data/");
- without a display, `plt.show()` saves each open figure to a PNG instead.
The script's own errors show the script's traceback (not this runner's
frames) and exit with status 1, as `python SCRIPT.py` would; `sys.exit(n)`
in the script exits with n; Ctrl-C or SIGTERM exit with 130 or 143.
"""

from __future__ import annotations

import argparse
import os
import runpy
import signal
import sys
import traceback

from tf1kit.errors import DataError, Refused
from tf1kit.run import shim

def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _script_line(error: BaseException, script: str) -> str:
    """'script.py:LINE: ' for the script's last frame in the traceback, or ''."""
    found = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        if os.path.abspath(frame.f_code.co_filename) == script:
            found = f"{os.path.basename(script)}:{line}: "
    return found


def _print_script_traceback(error: BaseException, script: str) -> None:
    """Print the traceback from the script's first frame on, like Python."""
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)


# Libraries whose API changed since the TF1 era: (what the error says,
# the library and the change), added under the script's traceback.
API_CHANGES = (
    ("TSNE.__init__() got an unexpected keyword argument 'n_iter'",
     "scikit-learn 1.7 renamed TSNE's n_iter to max_iter: TSNE(max_iter=...)"),
    ("reshape() got an unexpected keyword argument 'newshape'",
     "NumPy 2.1 renamed reshape's newshape to shape (removed in 2.4): "
     "numpy.reshape(a, shape=...) or a.reshape(...)"),
    ("module 'numpy' has no attribute 'float'",
     "NumPy 1.24 removed the alias numpy.float: use float or numpy.float64"),
    ("module 'numpy' has no attribute 'int'",
     "NumPy 1.24 removed the alias numpy.int: use int or numpy.int64"),
    ("Value passed to parameter 'shape' has DataType uint8 not in list",
     "NumPy 2 keeps a uint8 scalar uint8 in arithmetic (NEP 50: uint8(9) + 1 is uint8(10); "
     "NumPy 1 gave int64), and TensorFlow's shapes take int32 or int64 only: "
     "int(labels.max()) + 1"),
    ("module 'scipy.misc' has no attribute 'imread'",
     "SciPy 1.2 removed scipy.misc.imread: use imageio.v3.imread"),
)


# How a run ended (tf1kit.run.cli._run_script), in words.
ENDINGS = {"completed": "ended", "exit": "exited", "script error": "failed",
           "data error": "stopped at its data", "refused": "stopped at a construct tf1-run "
           "does not run", "max-session-runs": "reached --max-session-runs",
           "max-steps": "reached --max-steps"}


# run_tf1's own flags: given after the script's name they would reach the
# script instead, so they are refused there.
OWN_FLAGS = ("--trace", "--trace-steps", "--trace-max-elements", "--seed", "--data-dir",
             "--validation-size", "--verbose",
             "--max-session-runs", "--max-steps", "--figures-dir", "--save-figures", "--feed")


def main(argv=None) -> int:
    from tf1kit import cli  # one-line usage errors, as elsewhere
    from tf1kit.trace import tracefile
    from tf1kit.run import feeds, session
    parser = cli.ArgumentParser(
        prog=cli.program_name("tf1-run", "python -m tf1kit.run"),
        description="Run an unmodified TF1-era script on TensorFlow 2.x: "
                    "`import tensorflow as tf` becomes tf.compat.v1 with v2 "
                    "behaviour disabled, tf.layers and RNN cells come from tf_keras, "
                    "tensorflow.examples.tutorials.mnist (input_data, mnist) is "
                    "provided, tf.contrib's exact remnants resolve, and plt.show() "
                    "saves PNGs when there is no display.")
    parser.add_argument("--figures-dir", default=".",
                        help="folder for figures saved by plt.show() (default: current folder)")
    parser.add_argument("--save-figures", action="store_true",
                        help="save figures on plt.show() even when a display is present")
    parser.add_argument("--trace", default=None, metavar="OUT.npz",
                        help="record every Session.run's fetched numbers and arrays to "
                             "OUT.npz (read it with tf1kit/compare/cli.py)")
    parser.add_argument("--trace-steps", default=tracefile.DEFAULT_TRACE_STEPS, metavar="STEPS",
                        help="the training steps whose every tensor (inputs, gradients, "
                             "optimizer slots, weights) the trace keeps in full, e.g. 1-3,100, "
                             "or none; every other step keeps each tensor's SHA-256 "
                             f"(default {tracefile.DEFAULT_TRACE_STEPS})")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="read MNIST from DIR (the four IDX .gz files, or mnist.npz) "
                             "whatever folder the script's read_data_sets names")
    parser.add_argument("--validation-size", type=cli.non_negative_int, default=None,
                        metavar="N",
                        help="read_data_sets keeps N training images aside for validation "
                             "instead of what the script asks (TF1's default: 5,000; the "
                             "bundled 4,000-image sample needs fewer); the trace records it")
    parser.add_argument("--trace-max-elements", type=cli.positive_int, metavar="N",
                        default=session.DEFAULT_MAX_ELEMENTS,
                        help="fetched arrays larger than this are named in the trace, not "
                             f"kept (default {session.DEFAULT_MAX_ELEMENTS:,})")
    parser.add_argument("--seed", type=cli.seed_int, default=None, metavar="N",
                        help="seed an unseeded script: TF's graph-level seed (the default "
                             "graph's, tf.set_random_seed(N)) and numpy's global RNG, before "
                             "the script runs (a script that seeds itself overrides these)")
    parser.add_argument("--max-session-runs", type=cli.positive_int, default=None, metavar="N",
                        help="stop the script cleanly after N Session.run calls (exit 0)")
    parser.add_argument("--max-steps", type=cli.positive_int, default=None, metavar="N",
                        help="stop the script cleanly after N training steps (Session.run "
                             "calls that run an optimizer's update; exit 0)")
    parser.add_argument("--feed", action="append", default=[], metavar="NAME=VALUE",
                        help="feed VALUE instead of what the script feeds NAME in every "
                             "training call (a placeholder's name, its tensor's, or the "
                             "script's variable for it), e.g. keep_prob=1.0; recorded in "
                             "the trace; repeatable")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines (hidden by default)")
    parser.add_argument("script", help="the TF1 script to run")
    parser.add_argument("script_args", nargs=argparse.REMAINDER,
                        help="arguments passed to the script as sys.argv[1:]")
    args = parser.parse_args(argv)
    script = os.path.abspath(args.script)
    problem = None
    misplaced = [word for word in args.script_args if word.split("=")[0] in OWN_FLAGS]
    try:
        trace_steps = tracefile.parse_steps(args.trace_steps)
    except ValueError as error:
        trace_steps, problem = (), f"--trace-steps: {error}"
    try:
        overrides = feeds.FeedOverrides(feeds.parse(args.feed)) if args.feed else None
    except ValueError as error:
        problem = str(error)
    if misplaced:
        problem = (f"{misplaced[0]} comes after the script's name, so it would go to the "
                   f"script: give run_tf1's flags before {args.script}")
    elif problem is not None:
        pass
    elif args.data_dir is not None and not _holds_data(args.data_dir):
        problem = (f"--data-dir {args.data_dir}: no MNIST there (the four IDX .gz files "
                   "train-images-idx3-ubyte.gz ... or an .npz)")
    elif not os.path.isfile(script):
        problem = f"script not found: {args.script}"
    elif not os.path.isdir(args.figures_dir):
        problem = f"--figures-dir {args.figures_dir} is not a folder; create it first"
    elif args.trace is not None and not args.trace.endswith(".npz"):
        problem = f"--trace {args.trace}: the file name must end in .npz"
    elif args.trace is not None and not os.path.isdir(os.path.dirname(
            os.path.abspath(args.trace))):
        problem = f"--trace {args.trace}: its folder does not exist"
    if problem is None:
        try:
            shim.use_legacy_keras()
        except DataError as error:
            problem = str(error)
    if problem is not None:
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return 2
    # SIGTERM raises like Ctrl-C (a KeyboardInterrupt) so the script's own
    # `finally` blocks run and no half-saved figure is left.
    from tf1kit import files
    files.install_signal_handlers()
    shim.install_tf1_environment(args.figures_dir, args.save_figures or not _has_display())
    recorder = session.SessionRecorder(args.max_session_runs, args.trace is not None,
                                             args.trace_max_elements, trace_steps,
                                             script=script, feeds=overrides,
                                             max_steps=args.max_steps)
    recorder.install()
    from tf1kit.data import input_data
    input_data.log_batches(args.trace is not None)
    input_data.redirect_data(args.data_dir, args.validation_size)
    if args.trace is not None and args.seed is None:
        print("[run_tf1] warning: --trace without --seed: if the script seeds nothing, its "
              "starting weights and batch order are new on every run (the trace still "
              "holds both)", file=sys.stderr)
    if args.seed is not None:
        import numpy
        sys.modules["tensorflow"].set_random_seed(args.seed)  # compat.v1: the default graph
        numpy.random.seed(args.seed)
    sys.argv = [args.script, *args.script_args]
    sys.path.insert(0, os.path.dirname(script))
    trace_path = None if args.trace is None else os.path.abspath(args.trace)  # before any chdir
    status, ended = _run_script(script, parser.prog)
    if trace_path is not None and ended not in ("interrupted", "feed error") \
            and not recorder.steps.steps and (ended not in ("completed", "exit")
                                              or not recorder.calls):
        # A run that stopped before its first training step holds no trace a
        # tool could use (a script that trains nothing and ends is traced
        # call by call, a golden of its fetches).
        print(f"[run_tf1] no trace written to {args.trace}: the script ran no training step "
              f"(a Session.run of an optimizer's update) before it {ENDINGS.get(ended, ended)}",
              file=sys.stderr)
    elif trace_path is not None and ended not in ("interrupted", "feed error"):
        recorder.write(trace_path, script, sys.argv[1:], ended, args.seed)
        dropped = recorder.steps.values_dropped
        print(f"[run_tf1] traced {len(recorder.calls)} Session.run calls, "
              f"{len(recorder.steps.steps)} training steps, to {args.trace}"
              + (f"; the values of step{'s' if len(dropped) > 1 else ''} "
                 f"{', '.join(map(str, dropped))} did not fit and are digests only "
                 "(--trace-steps)" if dropped else ""))
    return status


def _holds_data(folder: str) -> bool:
    from tf1kit.data import mnist
    if os.path.isfile(folder):
        return folder.endswith(".npz")
    return all(os.path.isfile(os.path.join(folder, name)) for name in mnist.IDX_FILES)


def _run_script(script: str, program: str) -> tuple[int, str]:
    """Run the script as __main__: (its exit status as Python would give
    it, how it ended); `program`: the command's name, for its one-line errors."""
    from tf1kit.run.feeds import FeedError
    from tf1kit.run.session import SessionRunLimit
    try:
        runpy.run_path(script, run_name="__main__")
    except SessionRunLimit as stop:
        print(f"[run_tf1] {stop}")
        return 0, "max-session-runs" if "--max-session-runs" in str(stop) else "max-steps"
    except FeedError as error:  # the user's --feed, not the script: one line
        print(f"{program}: error: {error}", file=sys.stderr)
        return 2, "feed error"
    except DataError as error:  # the tutorial loader's: one line, in run_tf1's words
        print(f"{program}: error: {error}", file=sys.stderr)
        return 2, "data error"
    except Refused as error:  # a construct the shim does not run: one line, at its line
        print(f"{program}: error: {_script_line(error, script)}{error}", file=sys.stderr)
        return 2, "refused"
    except SystemExit as exit_:  # sys.exit(n), tf.app.run(): n, as Python would
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0, "exit"
        print(exit_.code, file=sys.stderr)
        return 1, "exit"
    except KeyboardInterrupt as error:
        _print_script_traceback(error, script)
        return 128 + getattr(error, "signum", signal.SIGINT), "interrupted"
    except BaseException as error:  # the script's own failure, shown as Python would
        _print_script_traceback(error, script)
        for said, change in API_CHANGES:
            if said in str(error):
                print(f"[run_tf1] not a TensorFlow change: {change}", file=sys.stderr)
        return 1, "script error"
    return 0, "completed"


def console() -> int:
    """The command: TensorFlow's start-up lines hidden (tf1kit/quiet.py)
    unless tf1-run's own --verbose (before the script's name) is given."""
    from tf1kit import quiet
    own = next((sys.argv[1:index] for index, word in enumerate(sys.argv) if index
                and word.endswith(".py")), sys.argv[1:])
    return quiet.command(main, own)


if __name__ == "__main__":
    sys.exit(console())
