"""`tf.contrib.layers.batch_norm` as TF 1.15 ran it, for `tf1-run`.

TF 1.15 took one of three paths (its layers.py, `batch_norm`):
- fused (the default for rank-2 inputs, and for rank 4 when the updates
  are not left in UPDATE_OPS or the mean is zero-debiased): variables
  beta, gamma, moving_mean, moving_variance made here; FusedBatchNormV3
  (epsilon raised to 1.001e-5 at least, as cuDNN needs); the moving
  statistics by `assign_moving_average`: v -= (v - value) * (1 - decay)
  with 1 - decay computed in Python, in place (`updates_collections=None`)
  or added to the collection;
- the `tf.layers` BatchNormalization class (rank 4, UPDATE_OPS): gamma
  before beta; fused too, but its moving averages take 1 - decay as a
  float32 tensor op (1 - 0.999f = 0.0009999871, not 0.001), and under a
  fed `is_training` the decay is cond(is_training, decay, 1.0);
- `fused=False`: `tf.nn.moments` and `tf.nn.batch_normalization`.
Written out here rather than served by Keras 2: TF 2.x's
BatchNormalization updates its statistics another way.
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow.python.training import moving_averages

from tf1kit.run.arg_scope import add_arg_scope
from tf1kit.run.contrib_layers import (UPDATE_OPS, _collect, _model_variable_getter,
                                       _outputs, _smart_cond, _static)
from tf1kit.errors import Refused

v1 = tf.compat.v1
MIN_FUSED_EPSILON = 1.001e-5  # TF's nn.fused_batch_norm raises a smaller one to this (cuDNN)


def _variables(params_shape, center, scale, options, order):
    """beta, gamma (constants where absent), moving_mean, moving_variance,
    created in `order`: ("beta", "gamma") on contrib's own paths,
    ("gamma", "beta") as the tf.layers class built them."""
    initializers = options["param_initializers"] or {}
    regularizers = options["param_regularizers"] or {}
    made = {}
    for name in order:
        wanted, default = (center, v1.zeros_initializer()) if name == "beta" else \
            (scale, v1.ones_initializer())
        if wanted:
            made[name] = v1.get_variable(
                name, shape=params_shape, dtype=tf.float32,
                initializer=initializers.get(name, default),
                regularizer=regularizers.get(name), trainable=options["trainable"])
            _collect(made[name], options["variables_collections"], name)
        else:
            made[name] = tf.constant(0.0 if name == "beta" else 1.0, tf.float32,
                                     shape=params_shape)
    for name, default in (("moving_mean", v1.zeros_initializer()),
                          ("moving_variance", v1.ones_initializer())):
        made[name] = v1.get_variable(name, shape=params_shape, dtype=tf.float32,
                                     initializer=initializers.get(name, default),
                                     trainable=False)
        _collect(made[name], options["variables_collections"], name)
    return made["beta"], made["gamma"], made["moving_mean"], made["moving_variance"]


def _assign_moving_average_layer(variable, value, momentum):
    """tf.layers BatchNormalization's update: 1 - momentum as a tensor op."""
    with v1.name_scope(None, "AssignMovingAvg") as scope:
        decay = tf.convert_to_tensor(1.0 - momentum, name="decay")
        return v1.assign_sub(variable, (variable - tf.cast(value, variable.dtype)) * decay,
                             name=scope)


def _moving_averages(moving_mean, moving_variance, mean, variance, decay, zero_debias):
    """The function making TF1's `assign_moving_average` of both statistics
    (the mean zero-debiased where asked, the variance never)."""
    def updates():
        return [moving_averages.assign_moving_average(moving_mean, mean, decay,
                                                      zero_debias=zero_debias),
                moving_averages.assign_moving_average(moving_variance, variance, decay,
                                                      zero_debias=False)]
    return updates


def _reshaped_back(outputs, original, inputs):
    """A rank-2 input's outputs in its own shape (the fused op took [-1, 1, 1, C])."""
    return tf.reshape(outputs, tf.shape(original)) if original is not inputs else outputs


def _updates(is_training, updates, values, when_not_training, updates_collections):
    """Run `updates` (a function returning the update ops) in place of
    `values` under is_training, or add them to `updates_collections`."""
    if updates_collections is None:
        def forced():
            with tf.control_dependencies(updates()):
                return [tf.identity(value) for value in values]
        return _smart_cond(is_training, forced, when_not_training)
    made = _smart_cond(is_training, updates, when_not_training)
    for update in made:
        v1.add_to_collections(updates_collections, update)
    return values


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None,
               updates_collections=UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC",
               zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
    """Batch normalization over the last axis (NHWC) or axis 1 (NCHW)."""
    options = {"param_initializers": param_initializers, "trainable": trainable,
               "param_regularizers": param_regularizers,
               "variables_collections": variables_collections}
    inputs = tf.convert_to_tensor(inputs)
    rank = inputs.shape.ndims
    for given, what in ((batch_weights is not None, "batch_weights"), (renorm, "renorm=True"),
                        (adjustment is not None, "adjustment"),
                        (rank not in (2, 4), f"rank-{rank} inputs"),
                        (data_format not in ("NHWC", "NCHW"), f"data_format={data_format!r}")):
        if given:
            raise Refused(f"tf.contrib.layers.batch_norm with {what} is not served by tf1-run "
                          "(docs/run_tf1.md lists what it runs): port it by hand")
    fused = True if fused is None else fused
    layer_class = updates_collections is UPDATE_OPS and not zero_debias_moving_mean
    with v1.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter()):
        if not fused:
            outputs = _moments_path(inputs, decay, epsilon, is_training, updates_collections,
                                    zero_debias_moving_mean, data_format, center, scale,
                                    options)
        else:
            outputs = _fused_path(inputs, decay, epsilon, is_training,
                                  updates_collections, zero_debias_moving_mean, data_format,
                                  center, scale, options,
                                  layer_class=layer_class and rank == 4)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _outputs(outputs, outputs_collections)


def _fused_path(inputs, decay, epsilon, is_training, updates_collections, zero_debias,
                data_format, center, scale, options, layer_class):
    original = inputs
    channels = int(inputs.shape[-1] if data_format == "NHWC" else inputs.shape[1])
    if inputs.shape.ndims == 2:
        inputs = tf.reshape(inputs, [-1, 1, 1, channels] if data_format == "NHWC"
                            else [-1, channels, 1, 1])
    order = ("gamma", "beta") if layer_class else ("beta", "gamma")
    beta, gamma, moving_mean, moving_variance = _variables([channels], center, scale,
                                                           options, order)
    epsilon = max(epsilon, MIN_FUSED_EPSILON)

    def training():
        return v1.nn.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                      data_format=data_format)

    def inference():
        return v1.nn.fused_batch_norm(inputs, gamma, beta, mean=moving_mean,
                                      variance=moving_variance, epsilon=epsilon,
                                      is_training=False, data_format=data_format)

    outputs, mean, variance = _smart_cond(is_training, training, inference)
    training_value = _static(is_training)
    if training_value is False:
        return _reshaped_back(outputs, original, inputs)
    if layer_class:  # tf.layers' class: its own update, in UPDATE_OPS
        momentum = tf.convert_to_tensor(decay) if training_value else \
            _smart_cond(is_training, lambda: tf.constant(decay), lambda: tf.constant(1.0))
        for variable, value in ((moving_mean, mean), (moving_variance, variance)):
            v1.add_to_collection(UPDATE_OPS,
                                 _assign_moving_average_layer(variable, value, momentum))
    else:
        updates = _moving_averages(moving_mean, moving_variance, mean, variance, decay,
                                   zero_debias)
        if updates_collections is None:
            (outputs,) = _updates(is_training, updates, [outputs], lambda: [outputs], None)
        else:
            _updates(is_training, updates, [], lambda: [moving_mean, moving_variance],
                     updates_collections)
    outputs.set_shape(inputs.shape)
    return _reshaped_back(outputs, original, inputs)


def _moments_path(inputs, decay, epsilon, is_training, updates_collections, zero_debias,
                  data_format, center, scale, options):
    rank = inputs.shape.ndims
    channels_axis = 1 if data_format == "NCHW" else rank - 1
    channels = int(inputs.shape[channels_axis])
    axes = [axis for axis in range(rank) if axis != channels_axis]
    beta, gamma, moving_mean, moving_variance = _variables([channels], center, scale,
                                                           options, ("beta", "gamma"))
    if not center:
        beta = None
    if not scale:
        gamma = None
    if _static(is_training) is False:
        mean, variance = moving_mean, moving_variance
    else:
        mean, variance = v1.nn.moments(inputs, axes, keep_dims=data_format == "NCHW")
        if data_format == "NCHW":
            mean, variance = tf.reshape(mean, [-1]), tf.reshape(variance, [-1])

        updates = _moving_averages(moving_mean, moving_variance, mean, variance, decay,
                                   zero_debias)
        moving = [moving_mean, moving_variance]
        if updates_collections is None:
            mean, variance = _updates(is_training, updates, [mean, variance],
                                      lambda: moving, None)
        else:
            _updates(is_training, updates, [], lambda: moving, updates_collections)
            mean, variance = _smart_cond(is_training, lambda: (mean, variance),
                                         lambda: tuple(moving))
    if data_format == "NCHW":
        broadcast = [1, channels] + [1] * (rank - 2)
        mean, variance = tf.reshape(mean, broadcast), tf.reshape(variance, broadcast)
        beta = None if beta is None else tf.reshape(beta, broadcast)
        gamma = None if gamma is None else tf.reshape(gamma, broadcast)
    outputs = tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, epsilon)
    outputs.set_shape(inputs.shape)
    return outputs
