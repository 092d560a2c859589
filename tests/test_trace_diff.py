"""The localizer over step traces (tf1kit/compare/diff.py) on constructed
traces: each kind of first difference is named as what it is, the start
and the batches are checked first, ambiguous variables are refused until
mapped, and the optimizer's float64 formulas are TF1's kernels'."""

import json

import numpy as np
import pytest

from tf1kit.trace import tracefile
from tf1kit.errors import DataError
from tf1kit.compare.values import assert_matches
from tf1kit.compare import diff

SHAPES = {"W": (3, 2), "b1": (2,), "b2": (2,)}
ADAM = {"class": "AdamOptimizer", "hyperparameters": {"learning_rate": 0.001, "beta1": 0.9,
                                                      "beta2": 0.999, "epsilon": 1e-8}}


def start(seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape).astype(np.float32) for name, shape in SHAPES.items()}


def run(weights, inputs, names=None, gradient_bump=None, steps=3):
    """A toy run's steps: {(kind, name): value} per step (plain SGD)."""
    names = names or {name: name for name in SHAPES}
    state, logged = dict(weights), []
    for step in range(steps):
        x = inputs[step]
        tensors = {("input", "x"): x}
        tensors.update({("initial", names[k]): v for k, v in state.items()})
        tensors[("loss", "loss")] = np.float32(x.sum() + sum(v.sum() for v in state.values()))
        gradients = {k: np.full_like(v, 0.5) for k, v in state.items()}
        if gradient_bump and step + 1 == gradient_bump[0]:
            gradients[gradient_bump[1]] = np.nextafter(gradients[gradient_bump[1]],
                                                       np.float32(1))
        tensors.update({("gradient", names[k]): g for k, g in gradients.items()})
        state = {k: (v - np.float32(0.01) * gradients[k]).astype(np.float32)
                 for k, v in state.items()}
        tensors.update({("weight", names[k]): v for k, v in state.items()})
        logged.append(tensors)
    return logged


def write(path, weights, logged, names=None, optimizer=None):
    names = names or {name: name for name in SHAPES}
    log = tracefile.StepLog(range(1, 10))
    for index, tensors in enumerate(logged):
        log.add(index, tensors)
    manifest = {"format": tracefile.FORMAT, "format_version": tracefile.FORMAT_VERSION,
                "calls": [{"index": i, "fetches": [], "kept": [], "skipped": {}, "feeds": []}
                          for i in range(len(logged))],
                "variables": [{"name": names[k], "shape": list(v.shape)}
                              for k, v in weights.items()],
                "optimizers": [optimizer or {"class": "GradientDescentOptimizer",
                                             "hyperparameters": {"learning_rate": 0.01}}],
                "steps": log.steps}
    tracefile.write(str(path), manifest, {**{f"variables/{names[k]}": v
                                              for k, v in weights.items()}, **log.arrays})
    return tracefile.load(str(path))


@pytest.fixture
def inputs():
    rng = np.random.default_rng(1)
    return [rng.random((4, 3)).astype(np.float32) for _ in range(3)]


KERAS_NAMES = {"W": "dense/kernel", "b1": "dense/bias", "b2": "dense_1/bias"}


def test_a_faithful_rewrite_matches(tmp_path, inputs):
    weights = start()
    original = write(tmp_path / "a.npz", weights, run(weights, inputs))
    rewrite = write(tmp_path / "b.npz", weights, run(weights, inputs, KERAS_NAMES), KERAS_NAMES)
    finding = diff.compare(original, rewrite)
    assert finding.match, finding.lines
    assert "3 matched (by shape and starting value)" in finding.lines[0]


def test_the_first_differing_gradient_is_named_with_its_ulps(tmp_path, inputs):
    weights = start()
    original = write(tmp_path / "a.npz", weights, run(weights, inputs))
    rewrite = write(tmp_path / "b.npz", weights,
                    run(weights, inputs, KERAS_NAMES, gradient_bump=(2, "b2")), KERAS_NAMES)
    finding = diff.compare(original, rewrite)
    assert not finding.match
    assert finding.lines[1].startswith("MISMATCH: first difference at step 2: gradient b2 <-> "
                                       "dense_1/bias: 2 of 2 elements differ, max 1 ulp")
    # the step's inputs, weights and loss agree: the verdict says where that leaves it
    assert "every input, weight, forward tensor and loss both traces hold at step 2 is the " \
        "same: the backward pass computed it another way" in finding.lines[1]


def test_a_scoped_variables_gradient_is_compared_too(tmp_path, inputs):
    """tf.layers and variable_scope names hold slashes (`discriminator/score/bias`):
    the gradient, the slots and the weight of each are paired through the
    map as a plain name's are (they were left out, and such a rewrite said
    MATCH with a gradient one ulp apart)."""
    weights = start()
    scoped = {"W": "discriminator/score/kernel", "b1": "discriminator/score/bias",
              "b2": "discriminator/score/bias/extra"}  # one name another's prefix
    original = write(tmp_path / "a.npz", weights, run(weights, inputs, scoped), scoped)
    rewrite = write(tmp_path / "b.npz", weights,
                    run(weights, inputs, KERAS_NAMES, gradient_bump=(2, "b1")), KERAS_NAMES)
    given = {"variables": {scoped[key]: KERAS_NAMES[key] for key in SHAPES}}
    finding = diff.compare(original, rewrite, given)
    assert not finding.match
    assert finding.lines[1].startswith("MISMATCH: first difference at step 2: gradient "
                                       "discriminator/score/bias <-> dense/bias: 2 of 2")
    mapping = finding.mapping
    assert diff._rename("slot", "discriminator/score/bias/extra/rms", mapping) == \
        "dense_1/bias/rms"
    assert diff._rename("slot", "discriminator/score/bias/rms", mapping) == "dense/bias/rms"


def test_inputs_one_ulp_apart_are_other_arithmetic_and_others_another_order(tmp_path, inputs):
    weights = start()
    original = write(tmp_path / "a.npz", weights, run(weights, inputs))
    nudged = [np.nextafter(x, np.float32(2)) for x in inputs]
    shuffled = [inputs[1], inputs[0], inputs[2]]
    for name, fed, expected in (("n", nudged, "the same examples in other arithmetic"),
                                ("s", shuffled, "another batch order at step 1")):
        rewrite = write(tmp_path / f"{name}.npz", weights, run(weights, fed))
        assert expected in diff.compare(original, rewrite).lines[1]


def test_another_start_is_said_before_anything_else(tmp_path, inputs):
    weights, other = start(), start()
    other["W"] = np.nextafter(other["W"], np.float32(9))
    original = write(tmp_path / "a.npz", weights, run(weights, inputs))
    rewrite = write(tmp_path / "b.npz", other, run(other, inputs))
    assert "another starting state for W <-> W" in diff.compare(original, rewrite).lines[1]


def test_variables_of_one_shape_are_refused_until_mapped(tmp_path, inputs):
    weights, rewritten = start(), start(5)  # other starting values: no pairing by value
    original = write(tmp_path / "a.npz", weights, run(weights, inputs))
    rewrite = write(tmp_path / "b.npz", rewritten, run(rewritten, inputs, KERAS_NAMES),
                    KERAS_NAMES)
    with pytest.raises(DataError, match=r"ambiguous: shape \(2,\) is held by b1, b2 in the "
                                        r"original and dense/bias, dense_1/bias"):
        diff.compare(original, rewrite)
    proposal = diff.propose_map(original, rewrite)
    assert proposal == {"W": "dense/kernel", "b1": "dense/bias", "b2": "dense_1/bias"}
    (tmp_path / "map.json").write_text(json.dumps({"variables": proposal}))
    finding = diff.compare(original, rewrite, diff.read_map(str(tmp_path / "map.json")))
    assert "(by the map)" in finding.lines[0] and "another starting state" in finding.lines[1]


def test_assert_matches_refuses_nothing_to_compare(tmp_path, inputs):
    weights = start()
    recorded = write(tmp_path / "a.npz", weights, run(weights, inputs))
    with pytest.raises(AssertionError, match="an empty list matches nothing"):
        assert_matches(recorded, "loss", [])


def test_the_referee_tells_rounding_from_another_gradient():
    """Each side's largest error against the float64 gradient, in ulps of
    its largest element: two errors of one size are the same gradient
    rounded another way; one far larger is another computation."""
    from tf1kit.convert import referee
    exact = np.array([1.0, -0.5, 2.0 ** -20], np.float64)
    step = float(np.spacing(np.float32(1.0)))
    rounded = (exact + [step, 0, 0]).astype(np.float32)
    otherwise = (exact - [0, 2 * step, 0]).astype(np.float32)
    line = referee.verdict("W <-> w", rounded, otherwise, exact)
    assert line.endswith("the original's largest error 1.0 ulp of its largest element, the "
                         "rewrite's 2.0: both as near, the same gradient rounded another way")
    wrong = (exact * 1.001).astype(np.float32)
    line = referee.verdict("W <-> w", rounded, wrong, exact)
    assert "the rewrite's 8389x larger, more than an order of summation explains" in line


def test_a_recurrent_cells_first_differing_time_step_is_named(tmp_path, inputs):
    """The original's per-step outputs (a static RNN's h at each step)
    against a rewrite cell's outputs at every step ([steps, batch, units],
    tracefile.TIME_STEPS): the first step none of the original's tensors
    holds is named; a dynamic RNN's batch-major outputs serve alike; an
    original that kept no tensor per step (a final state) names none."""
    from tf1kit.compare import forward
    weights = start()
    steps = np.random.default_rng(2).standard_normal((5, 4, 2)).astype(np.float32)
    ours, theirs = run(weights, inputs), run(weights, inputs)
    ours[0].update({("activation", f"rnn/cell/Mul_{t}:0"): steps[t] for t in range(5)})
    changed = steps.copy()
    changed[3] = np.nextafter(changed[3], np.float32(9))  # step 4 parts, one ulp each
    theirs[0][("activation", "cell" + tracefile.TIME_STEPS)] = changed
    original, rewrite = write(tmp_path / "o.npz", weights, ours), \
        write(tmp_path / "r.npz", weights, theirs)
    line = forward.first_time_step(original, rewrite, 1)
    assert line.startswith("cell: time step 4 of 5 is the first whose output the original "
                           "never computed (against the nearest: 8 of 8 elements differ, "
                           "max 1 ulp)"), line
    theirs[0][("activation", "cell" + tracefile.TIME_STEPS)] = steps  # every step computed
    assert forward.first_time_step(original, write(tmp_path / "s.npz", weights, theirs),
                                   1) is None
    dynamic = run(weights, inputs)  # the original's outputs, [batch, steps, units]
    dynamic[0][("activation", "rnn/transpose_1:0")] = steps.transpose(1, 0, 2)
    theirs[0][("activation", "cell" + tracefile.TIME_STEPS)] = changed
    assert "time step 4 of 5" in forward.first_time_step(
        write(tmp_path / "d.npz", weights, dynamic),
        write(tmp_path / "t.npz", weights, theirs), 1)
    final = run(weights, inputs)  # a while loop's final state alone: no step to name
    final[0][("activation", "rnn/while/Exit_3:0")] = steps[-1]
    assert forward.first_time_step(write(tmp_path / "f.npz", weights, final),
                                   write(tmp_path / "u.npz", weights, theirs), 1) is None
