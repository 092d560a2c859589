"""Step state and step trace on both sides: recording a step changes none of
its bits, a saved state resumes training exactly, and in the exact
configuration the two sides' traces are identical tensor for tensor."""

import numpy as np
import pytest

from common import sources
from common.config import Hyperparameters
from common.architecture import PARAMETER_NAMES
from common.steps import KINDS
from common.variants import Variant, corrupt
from tf1kit.data import input_data
from legacy.steps import LegacyStepper
from modern.options import EXACT
from modern.steps import ModernStepper

STEPS = 3


@pytest.fixture(scope="module")
def batches():
    raw = sources.load_raw(sources.DataSource("sample"), log=lambda line: None)
    images = input_data.data_sets_from_arrays(raw, validation_size=0, seed=0).train.images
    return [images[i * 256:(i + 1) * 256] for i in range(STEPS)]


@pytest.fixture(scope="module")
def start():
    stepper = LegacyStepper(Hyperparameters(), Variant(), graph_seed=3)
    try:
        return stepper.state()
    finally:
        stepper.close()


def feed(variant, batch, step):
    """(inputs, targets) of one step: corrupted and clean when denoising."""
    if variant.denoising:
        return corrupt(batch, variant.noise, variant.level, 0, step), batch
    return batch, None


def make(side, variant, weights):
    if side == "legacy":
        return LegacyStepper(Hyperparameters(), variant, initial_weights=weights)
    return ModernStepper(Hyperparameters(), variant, EXACT, initial_weights=weights)


VARIANTS = [pytest.param("deep"), pytest.param("sparse", marks=pytest.mark.slow),
            pytest.param("denoising", marks=pytest.mark.slow)]


@pytest.mark.parametrize("variant_name", VARIANTS)
@pytest.mark.parametrize("side", ["legacy", "modern"])
def test_a_traced_step_computes_exactly_what_an_untraced_one_does(batches, start, side,
                                                                 variant_name):
    variant = Variant(variant_name)
    plain, traced = make(side, variant, start.weights), make(side, variant, start.weights)
    for step, batch in enumerate(batches[:2]):
        cost = plain.step(*feed(variant, batch, step))
        trace = traced.traced_step(*feed(variant, batch, step))
        cost_traced = next(t.value for t in trace if t.kind == "loss" and t.name == "cost")
        assert np.float32(cost).tobytes() == np.float32(cost_traced).tobytes()
        assert plain.state().equals(traced.state()), f"step {step + 1}"


@pytest.mark.slow
@pytest.mark.parametrize("side", ["legacy", "modern"])
def test_a_saved_state_resumes_with_the_same_losses(batches, start, side):
    variant = Variant()
    straight = make(side, variant, start.weights)
    losses = [straight.step(batch) for batch in batches]
    first = make(side, variant, start.weights)
    first.step(batches[0])
    saved = first.state()
    assert saved.step == 1
    resumed = make(side, variant, None)  # other weights: the state replaces them all
    resumed.load(saved)
    assert resumed.state().equals(saved)
    again = [resumed.step(batch) for batch in batches[1:]]
    assert np.asarray(again, np.float32).tobytes() == \
        np.asarray(losses[1:], np.float32).tobytes()
    assert resumed.state().equals(straight.state())


@pytest.mark.parametrize("variant_name", VARIANTS)
def test_exact_traces_are_identical_on_both_sides(batches, start, variant_name):
    variant = Variant(variant_name)
    legacy, modern = make("legacy", variant, start.weights), make("modern", variant, start.weights)
    for step, batch in enumerate(batches[:2]):
        traces = [side.traced_step(*feed(variant, batch, step)) for side in (legacy, modern)]
        assert [(t.kind, t.name) for t in traces[0]] == [(t.kind, t.name) for t in traces[1]]
        for a, b in zip(*traces):
            assert np.asarray(a.value).tobytes() == np.asarray(b.value).tobytes(), (a.kind,
                                                                                     a.name)


@pytest.mark.slow
def test_a_trace_holds_every_kind_in_dataflow_order(batches, start):
    trace = make("legacy", Variant("sparse"), start.weights).traced_step(batches[0])
    kinds = [t.kind for t in trace]
    assert list(dict.fromkeys(kinds)) == list(KINDS)
    assert kinds == sorted(kinds, key=KINDS.index)  # grouped, in order
    names = {kind: [t.name for t in trace if t.kind == kind] for kind in KINDS}
    assert names["gradient"] == list(PARAMETER_NAMES)
    assert names["activation"][:2] == ["encoder_1/z", "encoder_1/a"]
    assert names["loss"][:2] == ["cost", "reconstruction"]  # then the sparse penalties
    assert len(names["loss"]) == 2 + 6  # a KL term per sigmoid hidden layer
