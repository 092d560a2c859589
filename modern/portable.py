"""The rewrite on any Keras 3 backend (`--backend jax`, `torch`): the same
network, loss and Adam, written in `keras.ops`, one training step as one
pure function the backend compiles (`jax.jit`; torch runs it eagerly).

What only TensorFlow has stays in the TensorFlow modules (the fused
`ResourceApplyAdam` kernel, the `tf.function` in-graph loop,
`tf.distribute`). Here the Adam is TF1's formula with float32 constants
(`tf1_adam`: `1 - beta` subtracted in float32, the beta powers kept as
float32 and multiplied each step), or Keras's (`keras_adam`: `1 - beta`
from Python floats, `beta ** t` by `pow`). Training and the microscope's
traced step run the very same compiled function, which returns every
tensor of the step, so a traced step is the trained step, bit for bit.
No backend is bit-identical to TensorFlow's kernels (XLA and Eigen round
differently); compare.py judges the difference (parity/golden/rounding.py).
The deep variant only.
"""

from __future__ import annotations

import time

import keras
import numpy as np
from keras import ops

from tf1kit import files
from common.architecture import (LAYER_NAMES, LINEAR_LAYER, PARAMETER_NAMES, bias_name,
                                 parameter_shapes, weight_name)
from common.config import RECONSTRUCTION_EXAMPLES
from common.errors import NonFiniteLoss
from tf1kit.errors import DataError
from common.results import TrainedRun
from common.steps import TrainingState, build_trace


def check_supported(variant, options) -> None:
    """Refuse what only the TensorFlow side does, in one line."""
    if variant.name != "deep":
        raise DataError(f"--variant {variant.name}: the {keras.backend.backend()} backend "
                        "trains the deep variant only")
    if options.loss != "original":
        raise DataError("the portable rewrite uses the original's loss expression only")


def initial_weights(hyper, seed: int) -> dict:
    """Seeded TF1-like starting weights (stddev-1 truncated-normal kernels,
    normal biases), by the backend's own random generator."""
    rng = keras.random.SeedGenerator(seed)
    weights = {}
    for name, shape in parameter_shapes(hyper).items():
        draw = keras.random.truncated_normal if name.partition("_")[2].startswith("h") \
            else keras.random.normal
        weights[name] = np.asarray(ops.convert_to_numpy(
            draw(shape, stddev=hyper.init_stddev, seed=rng)), np.float32)
    return weights


def forward(params: dict, inputs):
    """[(layer, z, a)] in network order: z = matmul + bias, a = sigmoid(z)
    except for the linear code layer."""
    activations, x = [], inputs
    for layer in LAYER_NAMES:
        z = ops.add(ops.matmul(x, params[weight_name(layer)]), params[bias_name(layer)])
        x = z if layer == LINEAR_LAYER else ops.sigmoid(z)
        activations.append((layer, z, x))
    return activations


def reconstruction_loss(targets, outputs):
    """The original's `tf.reduce_mean(tf.pow(y_true - y_pred, 2))`."""
    return ops.mean(ops.power(ops.subtract(targets, outputs), 2))


def adam(state: dict, gradients: dict, hyper, formula: str) -> dict:
    """One Adam update of `state` ({"weights", "m", "v", "powers", "step"})."""
    f32 = "float32"
    one = ops.cast(1.0, f32)
    beta1, beta2 = ops.cast(hyper.adam_beta1, f32), ops.cast(hyper.adam_beta2, f32)
    lr, epsilon = ops.cast(hyper.learning_rate, f32), ops.cast(hyper.adam_epsilon, f32)
    if formula == "tf1_adam":  # float32 (1 - beta) and the float32 power variables
        one_minus = (ops.subtract(one, beta1), ops.subtract(one, beta2))
        power1, power2 = state["powers"]
    else:  # Keras's Adam: (1 - beta) from Python floats, beta ** t by pow
        one_minus = (ops.cast(1 - hyper.adam_beta1, f32), ops.cast(1 - hyper.adam_beta2, f32))
        t = ops.cast(state["step"] + 1, f32)
        power1, power2 = ops.power(beta1, t), ops.power(beta2, t)
    alpha = lr * ops.sqrt(one - power2) / (one - power1)
    new = {"weights": {}, "m": {}, "v": {}, "step": state["step"] + 1,
           "powers": (ops.multiply(state["powers"][0], beta1),
                      ops.multiply(state["powers"][1], beta2))}
    for name in PARAMETER_NAMES:
        g, m, v = gradients[name], state["m"][name], state["v"][name]
        m = ops.add(m, ops.multiply(ops.subtract(g, m), one_minus[0]))
        v = ops.add(v, ops.multiply(ops.subtract(ops.square(g), v), one_minus[1]))
        new["m"][name], new["v"][name] = m, v
        new["weights"][name] = ops.subtract(
            state["weights"][name], ops.divide(ops.multiply(m, alpha),
                                               ops.add(ops.sqrt(v), epsilon)))
    return new


def make_step(hyper, formula: str):
    """The backend's compiled step: (state, inputs, targets) -> (loss,
    gradients, [(z, a)] per layer, new state)."""
    backend = keras.backend.backend()

    def loss_and_activations(weights, inputs, targets):
        activations = forward(weights, inputs)  # (z, a) per layer, in LAYER_NAMES order
        return (reconstruction_loss(targets, activations[-1][2]),
                [(z, a) for _, z, a in activations])

    if backend == "jax":
        import jax

        def step(state, inputs, targets):
            (loss, activations), gradients = jax.value_and_grad(
                loss_and_activations, has_aux=True)(state["weights"], inputs, targets)
            return loss, gradients, activations, adam(state, gradients, hyper, formula)
        return jax.jit(step)
    if backend == "torch":
        import torch

        def step(state, inputs, targets):
            weights = {k: v.detach().requires_grad_(True) for k, v in state["weights"].items()}
            loss, activations = loss_and_activations(weights, inputs, targets)
            grads = torch.autograd.grad(loss, [weights[k] for k in PARAMETER_NAMES])
            gradients = {k: g.detach() for k, g in zip(PARAMETER_NAMES, grads)}
            with torch.no_grad():
                new = adam({**state, "weights": {k: v.detach() for k, v in weights.items()}},
                           gradients, hyper, formula)
            return loss.detach(), gradients, [(z.detach(), a.detach()) for z, a in activations], new
        return step
    raise DataError(f"the portable rewrite runs on jax or torch, not {backend} (TensorFlow "
                    "has its own, modern/training.py)")


def to_numpy(x) -> np.ndarray:
    """A backend tensor or variable (or a Python number) as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(x))


class PortableStepper:
    """The rewrite's state, stepped by the caller: the same API as
    modern.steps.ModernStepper (state, load, step, traced_step)."""

    def __init__(self, hyper, options, initial: dict | None, seed: int = 0):
        self.hyper, self.formula = hyper, options.optimizer
        self._step = make_step(hyper, self.formula)
        initial = initial if initial is not None else initial_weights(hyper, seed)
        self.load(TrainingState(
            {k: np.asarray(v, np.float32) for k, v in initial.items()},
            {k: np.zeros_like(v, np.float32) for k, v in initial.items()},
            {k: np.zeros_like(v, np.float32) for k, v in initial.items()}, 0,
            np.float32(hyper.adam_beta1), np.float32(hyper.adam_beta2)))

    def load(self, state: TrainingState) -> None:
        convert = ops.convert_to_tensor
        self._state = {"weights": {k: convert(v) for k, v in state.weights.items()},
                       "m": {k: convert(v) for k, v in state.m.items()},
                       "v": {k: convert(v) for k, v in state.v.items()},
                       "powers": (convert(np.float32(state.beta1_power)),
                                  convert(np.float32(state.beta2_power))),
                       "step": state.step}

    def state(self) -> TrainingState:
        s = self._state
        step = int(s["step"])
        if self.formula == "tf1_adam":
            powers = tuple(np.float32(to_numpy(p)) for p in s["powers"])
        else:  # as ModernStepper exports stock Adam's: beta ** (step + 1) in float32
            powers = tuple(np.power(np.float32(beta), np.float32(step + 1))
                           for beta in (self.hyper.adam_beta1, self.hyper.adam_beta2))
        return TrainingState({k: to_numpy(v) for k, v in s["weights"].items()},
                             {k: to_numpy(v) for k, v in s["m"].items()},
                             {k: to_numpy(v) for k, v in s["v"].items()}, step, *powers)

    def _run(self, inputs, targets):
        inputs = ops.convert_to_tensor(np.asarray(inputs, np.float32))
        targets = inputs if targets is None else \
            ops.convert_to_tensor(np.asarray(targets, np.float32))
        loss, gradients, activations, self._state = self._step(self._state, inputs, targets)
        return loss, gradients, activations

    def step(self, inputs, targets=None) -> np.float32:
        return np.float32(to_numpy(self._run(inputs, targets)[0]))

    def traced_step(self, inputs, targets=None) -> list:
        before = self.state()
        loss, gradients, activations = self._run(inputs, targets)
        return build_trace(inputs, None, before,
                           [(name, to_numpy(z), to_numpy(a))
                            for name, (z, a) in zip(LAYER_NAMES, activations)],
                           [("cost", np.float32(to_numpy(loss)))],
                           {k: to_numpy(g) for k, g in gradients.items()}, self.state())

    def close(self) -> None:
        pass


def evaluate(weights: dict, test_images) -> tuple:
    """(codes, test cost, the first reconstructions) of the test set."""
    activations = forward({k: ops.convert_to_tensor(v) for k, v in weights.items()},
                          ops.convert_to_tensor(test_images))
    code = next(a for name, _, a in activations if name == LINEAR_LAYER)
    outputs = activations[-1][2]
    cost = reconstruction_loss(ops.convert_to_tensor(test_images), outputs)
    return (to_numpy(code).astype(np.float32), float(to_numpy(cost)),
            to_numpy(outputs)[:RECONSTRUCTION_EXAMPLES].astype(np.float32))


def train(arrays, hyper, options, *, seed: int, initial=None, batch_indices=None,
          steps_per_epoch=None, log=print) -> TrainedRun:
    """Train on `batch_indices` ([steps, batch] into the training images;
    None: a seeded NumPy shuffle per epoch) from `initial` (original names;
    None: seeded); print the original's epoch lines."""
    start = initial if initial is not None else initial_weights(hyper, seed)
    stepper = PortableStepper(hyper, options, start, seed)
    steps = steps_per_epoch or int(len(arrays.train_images) / hyper.batch_size)
    if batch_indices is None:
        rng = np.random.default_rng(seed)
        needed = steps * hyper.training_epochs * hyper.batch_size
        order = np.concatenate([rng.permutation(len(arrays.train_images))
                                for _ in range(-(-needed // len(arrays.train_images)))])
        batch_indices = order[:needed].reshape(-1, hyper.batch_size)
    losses, epoch_costs, started = [], [], time.perf_counter()
    for epoch in range(hyper.training_epochs):
        for index in range(epoch * steps, (epoch + 1) * steps):
            cost = stepper.step(arrays.train_images[np.asarray(batch_indices[index])])
            losses.append(cost)
            if not np.isfinite(cost):
                raise NonFiniteLoss(len(losses), float(cost))
            files.raise_if_interrupted()
        epoch_costs.append(float(losses[-1]))
        if epoch % hyper.display_step == 0:
            log(" ".join(["Epoch:", "%04d" % (epoch + 1), "cost=",
                          "{:.9f}".format(epoch_costs[-1])]))
    log("Optimization Finished!")
    seconds = time.perf_counter() - started
    final = stepper.state().weights
    codes, cost, reconstructions = evaluate(final, arrays.test_images)
    return TrainedRun(step_losses=np.asarray(losses, np.float32), epoch_costs=epoch_costs,
                      initial_weights={k: np.asarray(v, np.float32) for k, v in start.items()},
                      final_weights=final, test_codes=codes, test_cost=cost,
                      test_reconstructions=reconstructions, variant_report={},
                      test_labels=np.asarray(arrays.test_labels), steps_per_epoch=steps,
                      seconds=seconds)
