"""The environment `run_tf1` gives a TF1 script: `tensorflow` as TF1 code
expects it (compat.v1 first), Keras 2 behind TF1's `tf.layers` and RNN
cells, the removed tutorial modules, `tf.contrib`'s exact remnants, and
`plt.show()` saving PNGs where there is no display.
"""

from __future__ import annotations

import importlib.abc
import importlib.metadata
import importlib.util
import os
import sys
import types

from tf1kit.errors import DataError, RefusedImport

EXAMPLES_MODULES = ("tensorflow.examples", "tensorflow.examples.tutorials",
                    "tensorflow.examples.tutorials.mnist")


def use_legacy_keras() -> None:
    """Select Keras 2 (`tf_keras`) for TF1's Keras-based API in this process,
    before TensorFlow loads: TF 2.16+ serves `tf.compat.v1.layers` and
    `tf.compat.v1.nn.rnn_cell` only from it. A DataError (one line) when
    it is missing or its minor version is not TensorFlow's."""
    if "tensorflow" in sys.modules:
        if getattr(sys.modules["tensorflow"], "_tf1kit_legacy_keras", False):
            return  # selected before TensorFlow loaded (a fork of a process that did)
        raise RuntimeError("use_legacy_keras() must run before TensorFlow is imported")
    install = "pip install -r requirements.txt (it pins tf-keras to TensorFlow's version)"
    if importlib.util.find_spec("tf_keras") is None:
        raise DataError("tf_keras is not installed; TF1's tf.layers and RNN cells need it on "
                        f"TensorFlow 2.16+: {install}")
    versions = {name: importlib.metadata.version(name) for name in ("tensorflow", "tf-keras")}
    minor = {name: ".".join(version.split(".")[:2]) for name, version in versions.items()}
    if minor["tensorflow"] != minor["tf-keras"]:
        raise DataError(f"tf-keras {versions['tf-keras']} does not match TensorFlow "
                        f"{versions['tensorflow']} (their minor versions must be equal): "
                        f"{install}")
    os.environ["TF_USE_LEGACY_KERAS"] = "1"


class _TF1Module(types.ModuleType):
    """`tensorflow` as a TF1 script expects it: compat.v1 first, TF2 second."""

    def __init__(self, real_tf, contrib):
        super().__init__("tensorflow", real_tf.__doc__)
        object.__setattr__(self, "_v1", real_tf.compat.v1)
        object.__setattr__(self, "_real", real_tf)
        object.__setattr__(self, "_contrib", contrib)
        # Let `import tensorflow.python...` and friends find real submodules.
        self.__path__ = list(getattr(real_tf, "__path__", []))
        self.__version__ = real_tf.__version__

    def __getattr__(self, name):
        if name == "contrib":
            return self._contrib.Namespace()
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
    from tf1kit.run import contrib  # with the real `tensorflow`
    from tf1kit.data import input_data, tutorial_mnist

    real_tf.compat.v1.disable_v2_behavior()
    from tf1kit.run import losses, named_arguments, numpy_scalars, recurrent, schedules
    numpy_scalars.accept_numpy_scalars(real_tf.compat.v1)
    schedules.install(real_tf.compat.v1)
    losses.install(real_tf.compat.v1)
    recurrent.install(real_tf.compat.v1)
    named_arguments.install(real_tf.compat.v1)
    shim = _TF1Module(real_tf, contrib)
    sys.modules["tensorflow"] = shim
    parent = shim
    for name in EXAMPLES_MODULES:
        module = types.ModuleType(name)
        module.__path__ = []
        sys.modules[name] = module
        setattr(parent, name.rsplit(".", 1)[1], module)
        parent = module
    sys.modules["tensorflow.examples.tutorials.mnist.input_data"] = input_data
    sys.modules["tensorflow.examples.tutorials.mnist.mnist"] = tutorial_mnist
    parent.input_data, parent.mnist = input_data, tutorial_mnist
    sys.meta_path.insert(0, _ContribImporter(contrib))
    sys.meta_path.insert(0, _KerasTwo())
    sys.meta_path.append(_BareInputData(input_data))  # last: a script's own copy wins
    from tf1kit.run import keras_datasets
    for name in keras_datasets.MODULES:
        if name in sys.modules:
            keras_datasets.serve(sys.modules[name])
        else:
            sys.meta_path.insert(0, _AfterImport(name, keras_datasets.serve))
    if save_figures:
        _save_figures_on_show(figures_dir)


class _ContribImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import tensorflow.contrib.layers as layers` and `from
    tensorflow.contrib import rnn` resolve as `tf.contrib.layers` does: the
    same served symbols, the same one-line refusal for the rest."""

    PREFIX = "tensorflow.contrib"

    def __init__(self, contrib):
        self.contrib = contrib

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.PREFIX or fullname.startswith(self.PREFIX + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        path = spec.name[len(self.PREFIX):].lstrip(".")
        if path in self.contrib.MODULES:
            return self.contrib.MODULES[path]
        if path and not self.contrib.is_namespace(path):
            raise RefusedImport(self.contrib.refusal(path))
        module = self.contrib.Namespace(path)
        module.__path__ = []  # a package: `import tensorflow.contrib.layers` looks inside
        module.__name__ = spec.name  # where `from ... import name` looks for a submodule
        return module

    def exec_module(self, module):
        pass


class _BareInputData(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import input_data`, as TF 0.x-era tutorials wrote it beside a copy of
    the tutorial's loader: where no input_data.py is found (the script came
    without its copy), TF 1.15's tutorial loader, said in one line (a TF 0.x
    copy's next_batch did not shuffle the first epoch; 1.15's does)."""

    def __init__(self, module):
        self.module = module

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname == "input_data" \
            else None

    def create_module(self, spec):
        print("[run_tf1] `import input_data`: no input_data.py beside the script; serving TF "
              "1.15's tensorflow.examples.tutorials.mnist.input_data (a TF 0.x copy's "
              "next_batch did not shuffle the first epoch)", flush=True)
        return self.module

    def exec_module(self, module):
        pass


class _KerasTwo(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import keras` in a TF1-era script meant standalone Keras 2 (2.0-2.3,
    TensorFlow backend): it gets `tf_keras`, Keras 2 as TF 2.21 ships it,
    module for module (`keras.datasets.mnist` is `tf_keras.datasets.mnist`).
    Keras 3 would not load beside TF1's `tensorflow` anyway."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "keras" or fullname.startswith("keras."):
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return importlib.import_module("tf_keras" + spec.name[len("keras"):])

    def exec_module(self, module):
        pass


class _AfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Runs `patch(module)` once the module `name` is imported, whenever
    that is: pyplot is patched only in a script that imports it (importing
    it up front cost every run about half a second)."""

    def __init__(self, name: str, patch):
        self.name, self.patch, self._loader = name, patch, None

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # the real spec, found by the other finders
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        self._loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self.patch(module)


def _save_figures_on_show(figures_dir: str) -> None:
    os.environ["MPLBACKEND"] = "Agg"  # what matplotlib.use("Agg") sets, without importing it

    def patch(plt):
        from tf1kit.files import atomic_path

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

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib
        matplotlib.use("Agg")
        patch(sys.modules["matplotlib.pyplot"])
    else:
        sys.meta_path.insert(0, _AfterImport("matplotlib.pyplot", patch))


