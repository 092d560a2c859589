"""The parts run_tf1 adds for real TF1 code, in this process (no Keras
involved): contrib's re-implemented functions and its refusals, and the
tutorial's `mnist` module. tests/test_run_tf1.py runs them from scripts."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tf1kit.run import contrib, contrib_initializers
from tf1kit.data import tutorial_mnist

v1 = tf.compat.v1
# A truncated normal cut at 2 standard deviations has a standard deviation
# of 0.8796 times its parameter (the constant TF's own VarianceScaling uses).
TRUNCATED_STD_RATIO = 0.87962566103423978
# 100,352 draws estimate a standard deviation within about 0.5% (2 sigma).
STD_RTOL = 0.01


def draw(initializer, shape, seed=0):
    with tf.Graph().as_default():
        v1.set_random_seed(seed)
        value = initializer(shape, dtype=tf.float32)
        with v1.Session() as session:
            return session.run(value)


def test_xavier_uniform_is_tf2s_glorot_uniform_draw_for_draw():
    ours = draw(contrib_initializers.xavier_initializer(seed=3), [784, 128])
    theirs = draw(v1.glorot_uniform_initializer(seed=3), [784, 128])
    limit = math.sqrt(6.0 / (784 + 128))
    assert np.abs(ours).max() <= limit and np.abs(ours).max() > 0.99 * limit
    # Same op, same seed; the limit is computed in another order (3 * f / n
    # against 3 * (f / n)), which may move the last bit of a draw.
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)


def test_contrib_truncated_normal_uses_its_own_1_3_factor():
    values = draw(contrib_initializers.variance_scaling_initializer(2.0, "FAN_IN", uniform=False,
                                                                    seed=1), [784, 128])
    parameter = math.sqrt(1.3 * 2.0 / 784)
    assert np.abs(values).max() <= 2 * parameter
    assert values.std() == pytest.approx(TRUNCATED_STD_RATIO * parameter, rel=STD_RTOL)
    tf2 = draw(v1.variance_scaling_initializer(2.0, "fan_in", "truncated_normal", seed=1),
               [784, 128])
    assert tf2.std() == pytest.approx(math.sqrt(2.0 / 784), rel=STD_RTOL)  # not contrib's


def test_contrib_regularizers_are_scale_times_the_penalty_op():
    weights = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    with tf.Graph().as_default():
        w = tf.constant(weights)
        l2 = contrib_initializers.l2_regularizer(0.25)(w)
        l1 = contrib_initializers.l1_regularizer(0.5)(w)
        with v1.Session() as session:
            l2_value, l1_value, l2_loss = session.run([l2, l1, tf.nn.l2_loss(w)])
    assert l2_value == np.float32(0.25) * l2_loss
    assert l1_value == np.float32(0.5) * np.abs(weights).sum(dtype=np.float32)
    assert contrib_initializers.l2_regularizer(0.0)(weights) is None
    with pytest.raises(ValueError, match="scale cannot be an integer"):
        contrib_initializers.l2_regularizer(1)
    with pytest.raises(ValueError, match="less than 0"):
        contrib_initializers.l1_regularizer(-0.1)


def test_contrib_refuses_symbols_without_an_exact_form_by_name():
    namespace = contrib.Namespace()
    with pytest.raises(AttributeError, match=r"^tf\.contrib\.slim was removed with tf\.contrib "
                                             r".*the closest TF2 form is tf_slim"):
        namespace.slim
    with pytest.raises(AttributeError, match=r"tf\.contrib\.framework\.arg_scope_func_key was "
                                             "removed"):
        namespace.framework.arg_scope_func_key
    assert namespace.layers.xavier_initializer is contrib_initializers.xavier_initializer
    assert namespace.framework.nest.flatten is tf.nest.flatten
    assert ("tf.contrib.rnn.LSTMCell", "tf.compat.v1.nn.rnn_cell.LSTMCell") in contrib.supported()


def test_the_tutorials_mnist_module_builds_the_tutorials_graph():
    with tf.Graph().as_default():
        v1.set_random_seed(0)
        images = v1.placeholder(tf.float32, [None, tutorial_mnist.IMAGE_PIXELS])
        labels = v1.placeholder(tf.int32, [None])
        logits = tutorial_mnist.inference(images, 32, 16)
        loss = tutorial_mnist.loss(logits, labels)
        train = tutorial_mnist.training(loss, 0.1)
        correct = tutorial_mnist.evaluation(logits, labels)
        variables = {v.op.name: v for v in v1.global_variables()}
        shapes = {name: v.shape.as_list() for name, v in variables.items()}
        assert shapes == {"hidden1/weights": [784, 32], "hidden1/biases": [32],
                          "hidden2/weights": [32, 16], "hidden2/biases": [16],
                          "softmax_linear/weights": [16, 10], "softmax_linear/biases": [10],
                          "global_step": []}
        assert [s.op.name for s in v1.get_collection(v1.GraphKeys.SUMMARIES)] == ["loss"]
        rng = np.random.default_rng(0)
        feed = {images: rng.random((64, 784), dtype=np.float32),
                labels: rng.integers(0, 10, 64)}
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            weights = session.run(variables["hidden1/weights"])
            logit_values, loss_value, count = session.run([logits, loss, correct], feed)
            session.run(train, feed)
            step = session.run(variables["global_step"])
    # truncated normal, stddev 1/sqrt(784): within 2 stddevs, the truncated spread
    assert np.abs(weights).max() <= 2 / 28
    assert weights.std() == pytest.approx(TRUNCATED_STD_RATIO / 28, rel=STD_RTOL)
    shifted = logit_values - logit_values.max(axis=1, keepdims=True)
    expected = np.mean(np.log(np.exp(shifted).sum(axis=1)) -
                       shifted[np.arange(64), feed[labels]])
    assert loss_value == pytest.approx(expected, rel=1e-5)
    assert count == int((logit_values.argmax(axis=1) == feed[labels]).sum())
    assert step == 1


def test_a_session_recorder_keeps_numbers_and_arrays_by_call_and_name():
    from tf1kit.run.session import SessionRecorder

    class Fetch:
        def __init__(self, name):
            self.name = name
    recorder = SessionRecorder(trace=True, max_elements=3)
    recorder.record({"b": Fetch("loss:0"), "a": [Fetch("train"), Fetch("w:0")]}, None,
                    {"b": np.float32(0.5), "a": [None, np.arange(4.0)]})
    recorder.record(Fetch("sparse:0"), {Fetch("x:0"): 1}, (np.zeros(2), np.ones(2), [2]))
    recorder.record([Fetch("name:0")], None, [np.array(["text"])])
    first, second, third = recorder.calls
    assert first["fetches"] == ["train", "w:0", "loss:0"]  # dict keys sorted, as results are
    assert first["kept"] == ["loss:0"] and first["skipped"] == {"w:0": "4 elements > "
                                                                         "--trace-max-elements"}
    assert list(recorder.arrays) == ["call-000000/loss:0"]
    assert second["feeds"] == ["x:0"] and "*" in second["skipped"]  # a structured value
    assert third["skipped"] == {"name:0": "not numeric (<U4)"}


def test_a_bare_import_input_data_is_served_only_where_the_script_has_no_copy(
        tmp_path, monkeypatch, capsys):
    """TF 0.x tutorials imported their copy of the loader as `input_data`:
    without one, tf1-run serves TF 1.15's (and says so); a copy beside the
    script wins, found before the finder tf1-run puts last."""
    import sys

    from tf1kit.data import input_data
    from tf1kit.run.shim import _BareInputData
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, _BareInputData(input_data)])
    monkeypatch.delitem(sys.modules, "input_data", raising=False)
    import input_data as served  # noqa: F401 (what the finder gives)
    assert served is input_data
    assert "[run_tf1] `import input_data`: no input_data.py beside the script" in \
        capsys.readouterr().out
    monkeypatch.delitem(sys.modules, "input_data")
    (tmp_path / "input_data.py").write_text("OWN = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import input_data as own
    assert getattr(own, "OWN", False) and own is not input_data
    monkeypatch.delitem(sys.modules, "input_data")


def test_a_call_that_writes_weights_is_told_from_one_that_reads_them():
    """tf1-run reads the weights anew after a call that assigns them (a
    weight clip run on its own), so the next step's starting state is true."""
    from tf1kit.run.optimizer_watch import assigns
    with tf.Graph().as_default() as graph:
        weight = v1.Variable(tf.ones([2]))
        clip = [weight.assign(tf.clip_by_value(weight, -0.5, 0.5))]
        grouped = tf.group(*clip)
        read = weight + 1.0
        assert assigns(graph, clip) and assigns(graph, [grouped])
        assert not assigns(graph, [read]) and not assigns(graph, [read, "no such op"])


def test_a_weight_clip_is_described_by_its_variables_and_bounds():
    """`p.assign(tf.clip_by_value(p, -c, c))` for each weight (a WGAN's
    critic), grouped or listed: the rewrite writes it after its step; any
    other assign is told apart (None), and the rewrite refuses it."""
    from tf1kit.run.optimizer_watch import assign_ops, clips
    for resource in (False, True):
        try:
            if not resource:
                v1.disable_resource_variables()  # as tf1-run's scripts make them
            _check_clips(assign_ops, clips)
        finally:
            v1.enable_resource_variables()


def _check_clips(assign_ops, clips):
    with tf.Graph().as_default() as graph:
        weights = [v1.Variable(tf.ones([2]), name="W"), v1.Variable(tf.ones([3]), name="b")]
        clip = [weight.assign(tf.clip_by_value(weight, -0.01, 0.01)) for weight in weights]
        halve = weights[0].assign(weights[0] * 0.5)
        swapped = weights[0].assign(tf.clip_by_value(weights[1][:2], -0.01, 0.01))
        assert clips(assign_ops(graph, [tf.group(*clip)])) == [
            {"variable": "W", "min": np.float32(-0.01), "max": np.float32(0.01)},
            {"variable": "b", "min": np.float32(-0.01), "max": np.float32(0.01)}]
        assert clips(assign_ops(graph, [halve])) is None
        assert clips(assign_ops(graph, [swapped])) is None
