"""Arrays a script draws with NumPy and feeds (a corruption mask, a GAN's
noise): tf1-run finds each fed draw with its call (tf1kit/run/numpy_draws.py)
and tf1-convert writes the same draw from a Generator (emit_loop.feeds)."""

import runpy

import numpy as np
import pytest

from tests.test_convert import setting
from tf1kit.convert import emit_loop
from tf1kit.convert.source import Source
from tf1kit.run import numpy_draws


@pytest.mark.parametrize("function,args,kwargs,expected", [
    ("binomial", (1, 0.7, (4, 784)), {}, ("binomial", [1, 0.7], [4, 784])),
    ("uniform", (-1., 1.), {"size": [4, 100]}, ("uniform", [-1.0, 1.0], [4, 100])),
    ("normal", (), {"size": 3}, ("normal", [0.0, 1.0], [3])),
    ("randn", (4, 3), {}, ("standard_normal", [], [4, 3])),
    ("rand", (), {}, ("random", [], [])),
    ("random_sample", ((2, 5),), {}, ("random", [], [2, 5])),
])
def test_a_legacy_draw_is_described_as_the_generators(function, args, kwargs, expected):
    described = numpy_draws.describe(function, args, kwargs)
    assert (described["function"], described["arguments"], described["size"]) == expected
    # the Generator's method takes the arguments so and gives the same shape
    rng = np.random.default_rng(0)
    drawn = getattr(rng, described["function"])(*described["arguments"],
                                                size=described["size"] or None)
    assert np.shape(drawn) == np.shape(getattr(np.random, function)(*args, **kwargs))


def test_a_draw_with_array_arguments_is_not_described():
    assert numpy_draws.describe("binomial", (1, np.full(3, 0.5)), {}) is None
    assert numpy_draws.describe("normal", (0.0,), {"shape": 3}) is None  # not numpy's keyword


def test_the_scripts_own_draws_are_found_when_fed(tmp_path, monkeypatch):
    for function in numpy_draws.DRAWS:  # put back after the test
        monkeypatch.setattr(np.random, function, getattr(np.random, function))
    script = tmp_path / "script.py"
    script.write_text("import numpy as np\n"
                      "np.random.seed(3)\n"
                      "mask = np.random.binomial(1, 0.7, (4, 6))\n"
                      "noise = np.random.uniform(-1., 1., size=[4, 2])\n")
    draws = numpy_draws.NumpyDraws(str(script))
    draws.install()
    outside = np.random.binomial(1, 0.5, (4, 6))  # not the script's: not kept
    ran = runpy.run_path(str(script))
    draws.log_step(1, {"mask:0": (ran["mask"], ran["mask"].astype(np.float32)),
                       "noise:0": (ran["noise"].copy(), ran["noise"].astype(np.float32)),
                       "other:0": (outside, outside)}, "train")
    assert draws.described == {"train": {
        "mask:0": {"function": "binomial", "arguments": [1, 0.7], "size": [4, 6], "line": 3},
        "noise:0": {"function": "uniform", "arguments": [-1.0, 1.0], "size": [4, 2],
                    "line": 4}}}
    kept = draws.arrays["step-000001/drawn/mask:0"]
    assert kept.dtype == np.float32 and np.array_equal(kept, ran["mask"])
    np.random.seed(3)  # the wrapped draws are NumPy's own stream, unchanged
    assert np.array_equal(np.random.binomial(1, 0.7, (4, 6)), ran["mask"])


def test_the_rewrite_draws_what_the_script_fed_from_its_rng():
    program = type("Program", (), {"dtypes": {"mask": "float32"}})()
    out = Source()
    emit_loop.feeds(out, program, setting(batch_size=4, feeds={"X": "images", "mask": "drawn"},
                                          draws={"mask": {
                                              "function": "binomial", "arguments": [1, 0.7],
                                              "size": [4, 6], "line": 9,
                                              "tag": "s.py:9  mask_np = np.random.binomial(...)"}}))
    assert "# s.py:9  mask_np = np.random.binomial(...)" in out.text()
    namespace = {"np": np}
    exec(out.text(), namespace)  # noqa: S102 (the text written above)
    images = np.zeros((10, 6), np.float32)
    fed = namespace["feeds"](images, None, np.arange(3), np.random.default_rng(0))
    assert fed["mask"].shape == (3, 6) and fed["mask"].dtype == np.float32  # the batch's rows
    assert set(np.unique(fed["mask"])) <= {0.0, 1.0}
    assert fed["X"].shape == (3, 6)
