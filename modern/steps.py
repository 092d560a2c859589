"""The Keras model one optimizer step at a time: export and load its complete
training state (the 16 variables, Adam's m and v, the step count and beta
powers), and run one step inside a `tf.function`, as training runs it,
while recording every tensor of it. Mirrors legacy/steps.py; the names come
from common/steps.py.

The traced step must run as training runs: measured, the exact step run
eagerly from legacy's initial state already differs from legacy in 12 of
the 16 variables after one step (eager execution skips the graph rewrites
both trained runs get); inside a `tf.function` it is identical.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import tensorflow as tf

from common.architecture import LAYER_NAMES, PARAMETER_NAMES
from common.steps import TrainingState, build_trace
from modern import checkpoints
from modern.autoencoder import build_model, loss_function, loss_terms, make_optimizer
from tf1kit.keras.layers import pre_activation
from tf1kit.keras.optimizers import TF1Adam
from modern.distributed import make_distributed_step, run_on_slices
from modern.training import make_train_step


def dense_layers(model) -> list:
    """The 8 Dense layers in network order, paired with LAYER_NAMES."""
    return [layer for part in (model.encoder, model.decoder) for layer in part.layers
            if isinstance(layer, keras.layers.Dense)]


class ModernStepper:
    """The Keras model and its optimizer, stepped by the caller."""

    def __init__(self, hyper, variant, options, initial_weights=None, seed=0, strategy=None):
        self.variant, self.options = variant, options
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            self.model = model = build_model(hyper, seed, options, variant)
            if initial_weights is not None:
                checkpoints.set_original_weights(model, initial_weights)
            self.optimizer = optimizer = make_optimizer(hyper, options)
        loss_fn = loss_function(options)
        if strategy is None:
            self._train_step = make_train_step(model, optimizer, loss_fn, options.jit_compile)
        else:
            one_step = make_distributed_step(model, optimizer, loss_fn, strategy,
                                             hyper.batch_size)
            self._train_step = tf.function(lambda inputs, targets: one_step(inputs))
        self._variables = checkpoints.original_variables(model)
        index = {id(variable): i for i, variable in enumerate(model.trainable_variables)}
        self._names = [None] * len(index)
        for name, variable in self._variables.items():
            self._names[index[id(variable)]] = name
        slot = optimizer._get_variable_index
        self._m = {name: optimizer._momentums[slot(v)] for name, v in self._variables.items()}
        self._v = {name: optimizer._velocities[slot(v)] for name, v in self._variables.items()}
        layers = dense_layers(model)

        def step_by_layer(inputs, targets, scale=1.0):
            # The step of modern.autoencoder.optimizer_step, with the model
            # called layer by layer so that each layer's output is returned.
            with tf.GradientTape() as tape:
                outputs, x = [], inputs
                for part in (model.encoder, model.decoder):
                    for layer in part.layers:
                        x = layer(x, training=True)
                        if isinstance(layer, keras.layers.Dense):
                            outputs.append(x)
                total, reconstruction, penalties = loss_terms(model, targets, x, loss_fn)
                if scale != 1.0:  # as optimizer_step's gradient_scale
                    total = total * scale
            gradients = tape.gradient(total, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            return total, reconstruction, penalties, gradients, outputs

        @tf.function(jit_compile=options.jit_compile)
        def traced(inputs, targets):
            if strategy is None:
                return step_by_layer(inputs, targets)
            # Under a strategy (deep variant): the global loss as training
            # reports it, the gradients as the all-reduce sums them, each
            # layer's output rows gathered from the replicas in batch order.
            per_replica = run_on_slices(strategy, lambda part, scale: step_by_layer(
                part, part, scale), inputs, hyper.batch_size)
            total, _, _, gradients, outputs = per_replica
            summed = [strategy.reduce(tf.distribute.ReduceOp.SUM, gradient, axis=None)
                      for gradient in gradients]
            gathered = [tf.concat(strategy.experimental_local_results(output), axis=0)
                        for output in outputs]
            total = strategy.reduce(tf.distribute.ReduceOp.SUM, total, axis=None)
            return total, total, [], summed, gathered

        @tf.function
        def pre_activations(inputs, outputs):
            # Each layer's z from the output recorded below it: returning z
            # from the step itself could stop fusions (legacy/steps.py).
            return [pre_activation(layer, x)
                    for layer, x in zip(layers, [inputs] + list(outputs[:-1]))]

        self._traced, self._pre_activations = traced, pre_activations

    def state(self) -> TrainingState:
        """The complete training state now."""
        optimizer = self.optimizer
        step = int(optimizer.iterations.numpy())
        if isinstance(optimizer, TF1Adam):
            powers = (optimizer._beta_1_power.numpy(), optimizer._beta_2_power.numpy())
        else:  # stock Adam: beta ** (iterations + 1), in float32, at the next step
            powers = tuple(np.power(np.float32(beta), np.float32(step + 1))
                           for beta in (optimizer.beta_1, optimizer.beta_2))
        return TrainingState({k: v.numpy() for k, v in self._variables.items()},
                             {k: v.numpy() for k, v in self._m.items()},
                             {k: v.numpy() for k, v in self._v.items()}, step,
                             np.float32(powers[0]), np.float32(powers[1]))

    def load(self, state: TrainingState) -> None:
        """Make `state` the training state."""
        for name in PARAMETER_NAMES:
            self._variables[name].assign(state.weights[name])
            self._m[name].assign(state.m[name])
            self._v[name].assign(state.v[name])
        self.optimizer.iterations.assign(state.step)
        if isinstance(self.optimizer, TF1Adam):
            self.optimizer._beta_1_power.assign(np.float32(state.beta1_power))
            self.optimizer._beta_2_power.assign(np.float32(state.beta2_power))

    def step(self, inputs, targets=None) -> np.float32:
        """One step, as the training loop runs it; returns the printed cost."""
        return np.float32(self._train_step(inputs, inputs if targets is None else targets))

    def traced_step(self, inputs, targets=None) -> list:
        """One step, recording every tensor of it (common.steps.build_trace)."""
        before = self.state()
        clean = inputs if targets is None else targets
        total, reconstruction, penalties, gradients, outputs = self._traced(inputs, clean)
        after = self.state()
        self.load(before)  # z from the weights the step used
        pre = self._pre_activations(tf.constant(inputs), outputs)
        self.load(after)
        losses = [("cost", total.numpy())]
        if penalties:
            losses += [("reconstruction", reconstruction.numpy())] + [
                (f"penalty_{i}", term.numpy()) for i, term in enumerate(penalties, start=1)]
        activations = [(name, z.numpy(), a.numpy())
                       for name, z, a in zip(LAYER_NAMES, pre, outputs)]
        by_name = {name: gradient.numpy() for name, gradient in zip(self._names, gradients)}
        return build_trace(inputs, targets if self.variant.denoising else None, before,
                           activations, losses, by_name, after)
