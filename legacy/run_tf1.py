"""Run an unmodified TF1-era script on TensorFlow 2.x.

    python -m legacy.run_tf1 [--figures-dir DIR] SCRIPT.py [script args...]

Inside the script:
- `import tensorflow as tf` gives `tf.compat.v1` with v2 behaviour disabled
  (placeholders, Session, graph mode), falling back to the TF2 namespace for
  names that compat.v1 lacks;
- `from tensorflow.examples.tutorials.mnist import input_data` gives this
  project's faithful re-implementation (`legacy.input_data`);
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
import types

EXAMPLES_MODULES = ("tensorflow.examples", "tensorflow.examples.tutorials",
                    "tensorflow.examples.tutorials.mnist")
_REMOVED = {
    "contrib": "tf.contrib was removed in TensorFlow 2.0 and has no compat.v1 form; "
               "port the contrib call by hand (see MIGRATION notes)",
}


class _TF1Module(types.ModuleType):
    """`tensorflow` as a TF1 script expects it: compat.v1 first, TF2 second."""

    def __init__(self, real_tf):
        super().__init__("tensorflow", real_tf.__doc__)
        object.__setattr__(self, "_v1", real_tf.compat.v1)
        object.__setattr__(self, "_real", real_tf)
        # Let `import tensorflow.python...` and friends find real submodules.
        self.__path__ = list(getattr(real_tf, "__path__", []))
        self.__version__ = real_tf.__version__

    def __getattr__(self, name):
        if name in _REMOVED:
            raise AttributeError(_REMOVED[name])
        for namespace in (self._v1, self._real):
            try:
                return getattr(namespace, name)
            except AttributeError:
                continue
        raise AttributeError(f"module 'tensorflow' (compat.v1 shim) has no attribute {name!r}")


def install_tf1_environment(figures_dir: str, save_figures: bool) -> None:
    """Make `tensorflow` and its removed tutorial modules resolve the TF1 way."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as real_tf
    from legacy import input_data

    real_tf.compat.v1.disable_v2_behavior()
    shim = _TF1Module(real_tf)
    sys.modules["tensorflow"] = shim
    parent = shim
    for name in EXAMPLES_MODULES:
        module = types.ModuleType(name)
        module.__path__ = []
        sys.modules[name] = module
        setattr(parent, name.rsplit(".", 1)[1], module)
        parent = module
    sys.modules["tensorflow.examples.tutorials.mnist.input_data"] = input_data
    parent.input_data = input_data
    if save_figures:
        _save_figures_on_show(figures_dir)


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _save_figures_on_show(figures_dir: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from common.files import atomic_path

    counter = {"saved": 0}

    def show(*args, **kwargs):
        for number in plt.get_fignums():
            counter["saved"] += 1
            path = os.path.join(figures_dir, f"figure_{counter['saved']}.png")
            with atomic_path(path) as temporary:
                plt.figure(number).savefig(temporary, format="png")
            print(f"[run_tf1] no display: saved figure {number} to {path}")
        plt.close("all")

    plt.show = show


def _print_script_traceback(error: BaseException, script: str) -> None:
    """Print the traceback from the script's first frame on, like Python."""
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)


def main(argv=None) -> int:
    from common.cli import ArgumentParser  # one-line usage errors, as elsewhere
    parser = ArgumentParser(
        prog="python -m legacy.run_tf1",
        description="Run an unmodified TF1-era script on TensorFlow 2.x: "
                    "`import tensorflow as tf` becomes tf.compat.v1 with v2 "
                    "behaviour disabled, tensorflow.examples.tutorials.mnist."
                    "input_data is provided, and plt.show() saves PNGs when "
                    "there is no display.")
    parser.add_argument("--figures-dir", default=".",
                        help="folder for figures saved by plt.show() (default: current folder)")
    parser.add_argument("--save-figures", action="store_true",
                        help="save figures on plt.show() even when a display is present")
    parser.add_argument("script", help="the TF1 script to run")
    parser.add_argument("script_args", nargs=argparse.REMAINDER,
                        help="arguments passed to the script as sys.argv[1:]")
    args = parser.parse_args(argv)
    script = os.path.abspath(args.script)
    if not os.path.isfile(script):
        print(f"{parser.prog}: error: script not found: {args.script}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.figures_dir):
        print(f"{parser.prog}: error: --figures-dir {args.figures_dir} is not a folder; "
              "create it first",
              file=sys.stderr)
        return 2
    # SIGTERM raises like Ctrl-C (a KeyboardInterrupt) so the script's own
    # `finally` blocks run and no half-saved figure is left.
    from common import files
    files.install_signal_handlers()
    install_tf1_environment(args.figures_dir, args.save_figures or not _has_display())
    sys.argv = [args.script, *args.script_args]
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except KeyboardInterrupt as error:
        _print_script_traceback(error, script)
        return 128 + getattr(error, "signum", signal.SIGINT)
    except BaseException as error:  # the script's own failure, shown as Python would
        _print_script_traceback(error, script)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
