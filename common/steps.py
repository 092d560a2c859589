"""One training step, seen from inside: the shared vocabulary of both sides'
step states and step traces (legacy/steps.py and modern/steps.py build them,
parity/divergence.py compares them).

A trace records every tensor of one step under a name both sides use, in
dataflow order: the batch, the state the step starts from, each layer's
pre-activation `z` and output `a`, the loss terms, the gradient of each of
the 16 variables (common/architecture.py names them), Adam's slots after the update, the change applied to
each variable and each variable after the step.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from common.architecture import PARAMETER_NAMES

# The kinds of tensor in a step, in dataflow order.
KINDS = ("input", "initial", "activation", "loss", "gradient", "slot", "update", "weight")

@dataclasses.dataclass
class TrainingState:
    """Everything the next optimizer step depends on.

    `weights`, `m` and `v` are keyed by the original names; `step` is the
    number of steps taken; `beta1_power` and `beta2_power` are the powers
    of beta the next step's bias correction uses (TF1 keeps them as float32
    variables starting at beta; stock Keras Adam computes beta ** (step + 1)).
    """

    weights: dict
    m: dict
    v: dict
    step: int
    beta1_power: np.float32
    beta2_power: np.float32

    def copy(self) -> "TrainingState":
        return TrainingState({k: np.array(x) for k, x in self.weights.items()},
                             {k: np.array(x) for k, x in self.m.items()},
                             {k: np.array(x) for k, x in self.v.items()}, self.step,
                             np.float32(self.beta1_power), np.float32(self.beta2_power))

    def tensors(self) -> list:
        """(name, value) of every part, in a fixed order."""
        parts = [(name, self.weights[name]) for name in PARAMETER_NAMES]
        parts += [(f"m/{name}", self.m[name]) for name in PARAMETER_NAMES]
        parts += [(f"v/{name}", self.v[name]) for name in PARAMETER_NAMES]
        return parts + [("beta1_power", np.float32(self.beta1_power)),
                        ("beta2_power", np.float32(self.beta2_power))]

    def equals(self, other: "TrainingState") -> bool:
        """Bit for bit, every part."""
        return all(np.asarray(a).tobytes() == np.asarray(b).tobytes()
                   for (_, a), (_, b) in zip(self.tensors(), other.tensors()))


@dataclasses.dataclass(frozen=True)
class TracedTensor:
    kind: str          # one of KINDS
    name: str          # shared by both sides: "encoder_h1", "decoder_2/z", "m/decoder_b4", ...
    value: np.ndarray  # float32


def build_trace(inputs, targets, state: TrainingState, activations: list, losses: list,
                gradients: dict, after: TrainingState) -> list:
    """A step's TracedTensors in dataflow order, from its parts.

    `activations` is [(layer name, z, a)] in network order, `losses` is
    [(name, value)] (the printed cost first), `gradients` is keyed by the
    original names; `after` is the state the step produced. `targets` is
    None unless they differ from the inputs (the denoising variant).
    """
    trace = [TracedTensor("input", "inputs", np.asarray(inputs, np.float32))]
    if targets is not None:
        trace.append(TracedTensor("input", "targets", np.asarray(targets, np.float32)))
    trace += [TracedTensor("initial", name, np.asarray(value)) for name, value in state.tensors()]
    for layer, z, a in activations:
        trace += [TracedTensor("activation", f"{layer}/z", np.asarray(z)),
                  TracedTensor("activation", f"{layer}/a", np.asarray(a))]
    trace += [TracedTensor("loss", name, np.asarray(value, np.float32)) for name, value in losses]
    trace += [TracedTensor("gradient", name, np.asarray(gradients[name]))
              for name in PARAMETER_NAMES]
    trace += [TracedTensor("slot", f"m/{name}", after.m[name]) for name in PARAMETER_NAMES]
    trace += [TracedTensor("slot", f"v/{name}", after.v[name]) for name in PARAMETER_NAMES]
    trace += [TracedTensor("slot", "beta1_power", np.float32(after.beta1_power)),
              TracedTensor("slot", "beta2_power", np.float32(after.beta2_power))]
    trace += [TracedTensor("update", name, after.weights[name] - state.weights[name])
              for name in PARAMETER_NAMES]
    trace += [TracedTensor("weight", name, after.weights[name]) for name in PARAMETER_NAMES]
    return trace
