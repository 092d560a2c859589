"""`tf.contrib.layers`' layer functions as TF 1.15 defined them
(tensorflow/contrib/layers/python/layers/layers.py), for scripts run by
`tf1-run`: the same variable scopes and names (`fully_connected/weights`,
`Conv/biases`, `BatchNorm/moving_mean`), defaults (ReLU, Glorot uniform
drawn the contrib way, zero biases; batch norm's decay 0.999, epsilon
0.001, no scale), collections (MODEL_VARIABLES, UPDATE_OPS) and ops
(MatMul + BiasAdd, Conv2D + BiasAdd, FusedBatchNormV3 and TF1's moving
average `v -= (v - value) * (1 - decay)`), each decorated for `arg_scope`.

What TF 1.15 built from Keras-based `tf.layers` (Dense, Conv2D, pooling)
is built from the same classes here (`tf_keras` serves `tf.compat.v1.layers`
in tf1-run's process). Dropout and batch normalization are written out,
because the Keras 2 of TF 2.x changed how they draw their seed and update
their moving statistics. An option outside TF 1.15's common paths
(renorm, batch weights, a rank other than 2 or 4) is one line, refused.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tf1kit.run.arg_scope import add_arg_scope
from tf1kit.run.contrib_initializers import xavier_initializer

v1 = tf.compat.v1
UPDATE_OPS = v1.GraphKeys.UPDATE_OPS
RENAME = {"kernel": "weights", "bias": "biases"}


def _model_variable_getter(rename=None):
    """contrib's custom getter: Keras' kernel/bias renamed weights/biases,
    and every variable also in MODEL_VARIABLES."""

    def custom_getter(getter, name, *args, **kwargs):  # TF calls it with these keywords
        parts = name.split("/")
        parts[-1] = (rename or {}).get(parts[-1], parts[-1])
        collections = list(kwargs.get("collections") or [v1.GraphKeys.GLOBAL_VARIABLES])
        for extra in (v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.MODEL_VARIABLES):
            if extra not in collections:
                collections.append(extra)
        kwargs["collections"] = collections
        return getter("/".join(parts), *args, **kwargs)
    return custom_getter


def _collect(variable, variables_collections, role: str) -> None:
    names = variables_collections.get(role) if isinstance(variables_collections, dict) \
        else variables_collections
    for name in ([names] if isinstance(names, str) else names or []):
        if variable not in v1.get_collection(name):
            v1.add_to_collection(name, variable)


def _outputs(outputs, outputs_collections):
    if outputs_collections:
        v1.add_to_collections(outputs_collections, outputs)
    return outputs


def _static(predicate):
    """A Python bool, or a tensor's constant value, or None (known at run time only)."""
    if isinstance(predicate, (bool, np.bool_)):
        return bool(predicate)
    value = tf.get_static_value(predicate) if tf.is_tensor(predicate) else predicate
    return None if value is None else bool(value)


def _smart_cond(predicate, true_fn, false_fn):
    value = _static(predicate)
    if value is None:
        return v1.cond(predicate, true_fn, false_fn, strict=True)
    return true_fn() if value else false_fn()


def _layer_arguments(inputs, scope, reuse, trainable, normalizer_fn, *parameters) -> dict:
    """The tf.layers arguments contrib's kernel layers passed alike: no
    activation (applied after the normalizer), a bias unless a normalizer
    takes its place, the initializers and regularizers, the scope."""
    weights_initializer, weights_regularizer, biases_initializer, biases_regularizer = parameters
    return dict(activation=None, use_bias=bool(not normalizer_fn and biases_initializer),
                kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
                kernel_regularizer=weights_regularizer, bias_regularizer=biases_regularizer,
                trainable=trainable, name=scope.name, dtype=inputs.dtype.base_dtype,
                _scope=scope, _reuse=reuse)


def _finish(outputs, normalizer_fn, normalizer_params, activation_fn, outputs_collections):
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return _outputs(outputs, outputs_collections)


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=xavier_initializer(),
                    weights_regularizer=None, biases_initializer=v1.zeros_initializer(),
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """inputs @ weights (+ biases, unless a normalizer), then the activation."""
    if not isinstance(num_outputs, (int, np.integer)) or isinstance(num_outputs, bool):
        raise ValueError(f"num_outputs type should be one of (int,), got {type(num_outputs)}.")
    with v1.variable_scope(scope, "fully_connected", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter(RENAME)) as scope_:
        inputs = tf.convert_to_tensor(inputs)
        layer = v1.layers.Dense(units=int(num_outputs), **_layer_arguments(
            inputs, scope_, reuse, trainable, normalizer_fn, weights_initializer,
            weights_regularizer, biases_initializer, biases_regularizer))
        outputs = layer.apply(inputs)
        _collect(layer.kernel, variables_collections, "weights")
        if layer.bias is not None:
            _collect(layer.bias, variables_collections, "biases")
        return _finish(outputs, normalizer_fn, normalizer_params, activation_fn,
                       outputs_collections)


def _channels(data_format) -> str:
    return "channels_first" if data_format and data_format.startswith("NC") else "channels_last"


@add_arg_scope
def convolution2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
                  rate=1, activation_fn=tf.nn.relu, normalizer_fn=None, normalizer_params=None,
                  weights_initializer=xavier_initializer(), weights_regularizer=None,
                  biases_initializer=v1.zeros_initializer(), biases_regularizer=None,
                  reuse=None, variables_collections=None, outputs_collections=None,
                  trainable=True, scope=None):
    """contrib's `conv2d`: Conv2D (+ BiasAdd) in scope `Conv`, then the activation."""
    if data_format not in (None, "NHWC", "NCHW"):
        raise ValueError(f"Invalid data_format: {data_format!r}")
    with v1.variable_scope(scope, "Conv", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter(RENAME)) as scope_:
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.ndims != 4:
            raise ValueError(f"Convolution expects input with rank 4, got {inputs.shape.ndims}")
        layer = v1.layers.Conv2D(
            filters=num_outputs, kernel_size=kernel_size, strides=stride, padding=padding,
            data_format=_channels(data_format), dilation_rate=rate, **_layer_arguments(
                inputs, scope_, reuse, trainable, normalizer_fn, weights_initializer,
                weights_regularizer, biases_initializer, biases_regularizer))
        outputs = layer.apply(inputs)
        _collect(layer.kernel, variables_collections, "weights")
        if layer.use_bias:
            _collect(layer.bias, variables_collections, "biases")
        return _finish(outputs, normalizer_fn, normalizer_params, activation_fn,
                       outputs_collections)


def _pool(class_name, default_name):
    def pool(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
             outputs_collections=None, scope=None):
        if data_format not in ("NCHW", "NHWC"):
            raise ValueError("data_format has to be either NCHW or NHWC.")
        with v1.name_scope(scope, default_name, [inputs]):
            layer_class = getattr(v1.layers, class_name)  # tf_keras' (tf1-run's process)
            layer = layer_class(pool_size=kernel_size, strides=stride, padding=padding,
                                data_format=_channels(data_format))
            return _outputs(layer.apply(tf.convert_to_tensor(inputs)), outputs_collections)
    pool.__name__ = pool.__qualname__ = default_name.lower()
    return add_arg_scope(pool)


max_pool2d = _pool("MaxPooling2D", "MaxPool2D")
avg_pool2d = _pool("AveragePooling2D", "AvgPool2D")


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True,
            outputs_collections=None, scope=None, seed=None):
    """TF1's `nn.dropout` with rate 1 - keep_prob while `is_training`
    (TF 1.15's Dropout layer passed its seed as given; Keras 2 of TF 2.x
    advances it per call), the identity otherwise."""
    with v1.variable_scope(scope, "Dropout", [inputs]):
        inputs = tf.convert_to_tensor(inputs)
        return _outputs(_smart_cond(
            is_training,
            lambda: v1.nn.dropout(inputs, noise_shape=noise_shape, seed=seed,
                                  rate=1 - keep_prob),
            lambda: tf.identity(inputs)), outputs_collections)


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """[batch, ...] -> [batch, k], in contrib's `Flatten` name scope."""
    with v1.name_scope(scope, "Flatten", [inputs]):
        outputs = v1.layers.flatten(tf.convert_to_tensor(inputs))
    return _outputs(outputs, outputs_collections)
