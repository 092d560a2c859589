"""The original graph one optimizer step at a time: export and load its
complete training state (the 16 variables, Adam's m and v, the beta
powers), and run one step while recording every tensor of it, fetched in
the same `Session.run` as the update. Mirrors modern/steps.py; the names
come from common/steps.py. Not in the original: the comparison uses it to
find where two implementations part (parity/divergence.py).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from common.architecture import LAYER_NAMES, LINEAR_LAYER, PARAMETER_NAMES
from common.steps import TrainingState, build_trace
from legacy.autoencoder import build_graph


class LegacyStepper:
    """The original graph in its own Session, stepped by the caller."""

    def __init__(self, hyper, variant, initial_weights=None, graph_seed=None):
        self.variant = variant
        self.parts = parts = build_graph(hyper, graph_seed, initial_weights, variant)
        self.session = tf.compat.v1.Session(graph=parts.graph)
        self.session.run(parts.init)
        variables = {**parts.weights, **parts.biases}
        self._variables = {name: variables[name] for name in PARAMETER_NAMES}
        self._m = {name: parts.adam.get_slot(v, "m") for name, v in self._variables.items()}
        self._v = {name: parts.adam.get_slot(v, "v") for name, v in self._variables.items()}
        with parts.graph.as_default():  # TF1 looks its non-slot variables up per graph
            self._powers = parts.adam._get_beta_accumulators()  # (beta1_power, beta2_power)
        self._steps = 0
        # Each layer's pre-activation z (the tf.add) and output a: the code
        # layer is linear (z is a), the others' z is their sigmoid's input.
        outputs = [tensor for _, tensor in parts.hidden[:3]] + [parts.encoder_op] + \
                  [tensor for _, tensor in parts.hidden[3:]] + [parts.decoder_op]
        self._activations = [(layer, a if layer == LINEAR_LAYER else a.op.inputs[0], a)
                             for layer, a in zip(LAYER_NAMES, outputs)]
        self._losses = [("cost", parts.cost)]
        if parts.penalties:
            self._losses += [("reconstruction", parts.reconstruction_loss)] + [
                (f"penalty_{i}", term) for i, term in enumerate(parts.penalties, start=1)]

    def close(self) -> None:
        self.session.close()

    def state(self) -> TrainingState:
        """The complete training state now."""
        values = self.session.run({"weights": self._variables, "m": self._m, "v": self._v,
                                   "powers": list(self._powers)})
        return TrainingState(values["weights"], values["m"], values["v"], self._steps,
                             np.float32(values["powers"][0]), np.float32(values["powers"][1]))

    def load(self, state: TrainingState) -> None:
        """Make `state` the training state: each variable's initializer run
        with the value fed (what TF1's `Variable.load` did; no new ops)."""
        pairs = [(self._variables, state.weights), (self._m, state.m), (self._v, state.v)]
        assignments = [(variables[name], values[name]) for variables, values in pairs
                       for name in PARAMETER_NAMES]
        assignments += [(self._powers[0], state.beta1_power), (self._powers[1], state.beta2_power)]
        for variable, value in assignments:
            self.session.run(variable.initializer, feed_dict={
                variable.initializer.inputs[1]: np.asarray(value, np.float32)})
        self._steps = state.step

    def _feed(self, inputs, targets) -> dict:
        if self.variant.denoising:
            return {self.parts.X: inputs, self.parts.X_clean: targets}
        return {self.parts.X: inputs}

    def step(self, inputs, targets=None) -> np.float32:
        """One step, as the training loop runs it; returns the printed cost."""
        _, cost = self.session.run([self.parts.optimizer, self.parts.cost],
                                   feed_dict=self._feed(inputs, targets))
        self._steps += 1
        return cost

    def traced_step(self, inputs, targets=None) -> list:
        """One step, recording every tensor of it (common.steps.build_trace).

        The layer outputs, losses and gradients are fetched in the same
        Session.run as the update: the very values the update used. Fetching
        the pre-activations from the step as well would keep Grappler from
        fusing the add into the matmul and change the step's bits (measured:
        45 of the 50 state tensors differ after one step), so each `z` is
        computed afterwards from the state before the step and the recorded
        output of the layer below (fed in place of the graph's own).
        """
        before = self.state()
        feed = self._feed(inputs, targets)
        fetched = self.session.run(
            {"update": self.parts.optimizer, "losses": dict(self._losses),
             "gradients": self.parts.gradients,
             "outputs": [a for _, _, a in self._activations]}, feed_dict=feed)
        after = self.state()
        self.load(before)
        below = {a: value for (_, _, a), value in zip(self._activations[:-1], fetched["outputs"])}
        pre_activations = self.session.run([z for _, z, _ in self._activations],
                                           feed_dict={**feed, **below})
        self.load(after)
        activations = [(layer, z, a) for (layer, _, _), z, a in
                       zip(self._activations, pre_activations, fetched["outputs"])]
        losses = [(name, fetched["losses"][name]) for name, _ in self._losses]
        return build_trace(inputs, targets if self.variant.denoising else None, before,
                           activations, losses, fetched["gradients"], after)
