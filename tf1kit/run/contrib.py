"""`tf.contrib` for scripts run by `tf1-run`: the contrib symbols that
have an exact TF2 form, and a one-line refusal for every other.

tf.contrib was removed in TensorFlow 2.0. Three kinds of symbol run here:
- renames: contrib re-exported a core symbol that still exists under
  another name (the renames `tf_upgrade_v2` itself applies, e.g.
  `tf.contrib.rnn.LSTMCell` -> `tf.compat.v1.nn.rnn_cell.LSTMCell`: the
  same class; the global-step helpers);
- re-implementations, op for op, of TF 1.15's contrib functions whose
  TF2 counterparts compute something else: the initializers and
  regularizers (tf1kit/run/contrib_initializers.py), the layer functions
  with their variable names and defaults (contrib_layers.py,
  contrib_batch_norm.py), `arg_scope` (arg_scope.py) and the variable
  listing helpers of `tf.contrib.framework`;
- nothing else: a symbol not listed here is refused, naming it.
"""

from __future__ import annotations

import functools
import types

import tensorflow as tf

from tf1kit.data import input_data
from tf1kit.errors import RefusedAttribute
from tf1kit.run import arg_scope, contrib_batch_norm, contrib_initializers, contrib_layers

v1 = tf.compat.v1

# contrib name -> its target's path in tf.compat.v1 (or "tf." for the TF2 namespace).
RENAMES = {
    "rnn.BasicLSTMCell": "nn.rnn_cell.BasicLSTMCell",
    "rnn.BasicRNNCell": "nn.rnn_cell.BasicRNNCell",
    "rnn.GRUCell": "nn.rnn_cell.GRUCell",
    "rnn.LSTMCell": "nn.rnn_cell.LSTMCell",
    "rnn.LSTMStateTuple": "nn.rnn_cell.LSTMStateTuple",
    "rnn.MultiRNNCell": "nn.rnn_cell.MultiRNNCell",
    "rnn.DropoutWrapper": "nn.rnn_cell.DropoutWrapper",
    "rnn.ResidualWrapper": "nn.rnn_cell.ResidualWrapper",
    "rnn.DeviceWrapper": "nn.rnn_cell.DeviceWrapper",
    "rnn.RNNCell": "nn.rnn_cell.RNNCell",
    "rnn.static_rnn": "nn.static_rnn",
    "rnn.static_bidirectional_rnn": "nn.static_bidirectional_rnn",
    "rnn.static_state_saving_rnn": "nn.static_state_saving_rnn",
    "framework.get_or_create_global_step": "train.get_or_create_global_step",
    "framework.get_global_step": "train.get_global_step",
    "framework.create_global_step": "train.create_global_step",
    "framework.assert_global_step": "train.assert_global_step",
    "framework.sort": "tf.sort",
    "framework.argsort": "tf.argsort",
    "framework.is_tensor": "tf.is_tensor",
    "framework.nest.flatten": "tf.nest.flatten",
    "framework.nest.map_structure": "tf.nest.map_structure",
    "framework.nest.pack_sequence_as": "tf.nest.pack_sequence_as",
    "framework.nest.assert_same_structure": "tf.nest.assert_same_structure",
    "framework.nest.is_nested": "tf.nest.is_nested",
}
# Where a refused symbol has a close (not exact) TF2 form, say which.
HINTS = {
    "slim": "tf_slim, a separate package",
}


# contrib modules served whole: TF1's MNIST loader lived in contrib.learn
# (tensorflow.examples.tutorials.mnist.input_data only re-exported it).
MODULES = {"learn.python.learn.datasets.mnist": input_data,
           "learn.datasets.mnist": input_data}


def _variables(collection):
    def listed(scope=None, suffix=None):
        """contrib.framework's listing: the collection's variables whose
        names match `scope` (a prefix pattern) and end with `suffix`."""
        if isinstance(scope, v1.VariableScope):
            scope = scope.name
        if suffix is not None:
            scope = (scope or "") + ".*" + (suffix if ":" in suffix else suffix + ":")
        return v1.get_collection(collection, scope)
    return listed


REIMPLEMENTED = {
    "layers.variance_scaling_initializer": contrib_initializers.variance_scaling_initializer,
    "layers.xavier_initializer": contrib_initializers.xavier_initializer,
    "layers.xavier_initializer_conv2d": contrib_initializers.xavier_initializer,
    "layers.l1_regularizer": contrib_initializers.l1_regularizer,
    "layers.l2_regularizer": contrib_initializers.l2_regularizer,
    "layers.flatten": contrib_layers.flatten,
    "layers.fully_connected": contrib_layers.fully_connected,
    "layers.linear": functools.partial(contrib_layers.fully_connected, activation_fn=None),
    "layers.conv2d": contrib_layers.convolution2d,
    "layers.convolution2d": contrib_layers.convolution2d,
    "layers.max_pool2d": contrib_layers.max_pool2d,
    "layers.avg_pool2d": contrib_layers.avg_pool2d,
    "layers.dropout": contrib_layers.dropout,
    "layers.batch_norm": contrib_batch_norm.batch_norm,
    "framework.arg_scope": arg_scope.arg_scope,
    "framework.add_arg_scope": arg_scope.add_arg_scope,
    "framework.current_arg_scope": arg_scope.current_arg_scope,
    "framework.has_arg_scope": arg_scope.has_arg_scope,
    "framework.get_variables": _variables(v1.GraphKeys.GLOBAL_VARIABLES),
    "framework.get_model_variables": _variables(v1.GraphKeys.MODEL_VARIABLES),
    "framework.get_trainable_variables": _variables(v1.GraphKeys.TRAINABLE_VARIABLES),
    "framework.get_local_variables": _variables(v1.GraphKeys.LOCAL_VARIABLES),
}


def _target(path: str):
    namespace, _, rest = path.partition(".") if path.startswith("tf.") else ("", "", path)
    value = tf if namespace else v1
    for part in rest.split("."):
        value = getattr(value, part)
    return value


class Namespace(types.ModuleType):
    """`tf.contrib` or one of its submodules: listed symbols resolve, every
    other attribute is refused with one line naming it."""

    def __init__(self, path: str = ""):
        super().__init__("tf.contrib" + (f".{path}" if path else ""))
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = f"{self._path}.{name}" if self._path else name
        if full in REIMPLEMENTED:
            return REIMPLEMENTED[full]
        if full in MODULES:
            return MODULES[full]
        if full in RENAMES:
            return _target(RENAMES[full])
        if is_namespace(full):
            return Namespace(full)
        raise RefusedAttribute(refusal(full))


def is_namespace(path: str) -> bool:
    """Whether `tf.contrib.<path>` is a module this shim serves (rnn, layers, ...)."""
    return any(key.startswith(path + ".") for key in (*RENAMES, *REIMPLEMENTED, *MODULES))


def refusal(full: str) -> str:
    """The one line a contrib symbol without an exact TF2 form gets."""
    hint = HINTS.get(full) or HINTS.get(full.split(".")[0])
    return (f"tf.contrib.{full} was removed with tf.contrib in TensorFlow 2.0 and has no exact "
            "equivalent this shim can run (docs/run_tf1.md lists those it can)"
            + (f"; the closest TF2 form is {hint}" if hint else "") + ": port it by hand")


def supported() -> list:
    """(contrib symbol, what runs it) for docs/run_tf1.md's table."""
    rows = [(f"tf.contrib.{name}", f"tf.compat.v1.{target}" if not target.startswith("tf.")
             else target) for name, target in RENAMES.items()]
    rows += [(f"tf.contrib.{name}", f"re-implemented op for op ({_home(function)})")
             for name, function in REIMPLEMENTED.items()]
    rows += [(f"tf.contrib.{name}", f"TF1's loader ({_home(module)})")
             for name, module in MODULES.items()]
    return rows


def _home(function) -> str:
    module = getattr(function, "__name__", "") if isinstance(function, types.ModuleType) \
        else getattr(function, "func", function).__module__
    return module.replace(".", "/") + ".py"
