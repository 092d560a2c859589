"""tf1kit/compare/graph_judge.py: a TF1 forward pass (conv2d, bias_add, relu,
max_pool, reshape, matmul + add, dropout's arithmetic, softmax
cross-entropy, mean) computed by TensorFlow in float32 lies within the
float32 error bound of its float64 re-evaluation, tensor by tensor from
the recorded tensors before it; a tensor changed beyond rounding does not;
an op the judge does not know says so."""

import numpy as np
import pytest
import tensorflow as tf

from tf1kit.run import activations
from tf1kit.compare import graph_judge

v1 = tf.compat.v1


@pytest.fixture(scope="module")
def forward():
    """(graph description, sources, recorded activations and loss) of one
    float32 forward pass of a small TF1 convolutional network."""
    rng = np.random.default_rng(0)
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 64])
        labels = v1.placeholder(tf.float32, [None, 3])
        keep_prob = v1.placeholder(tf.float32)
        kernel = v1.Variable(rng.normal(size=(3, 3, 1, 4)).astype(np.float32))
        bias = v1.Variable(rng.normal(size=4).astype(np.float32))
        weights = v1.Variable(rng.normal(size=(64, 3)).astype(np.float32))
        dense_bias = v1.Variable(rng.normal(size=3).astype(np.float32))
        image = tf.reshape(x, [-1, 8, 8, 1])
        conv = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(image, kernel, [1, 1, 1, 1], "SAME"),
                                         bias))
        pooled = tf.reshape(tf.nn.max_pool2d(conv, 2, 2, "SAME"), [-1, 64])
        dropped = v1.nn.dropout(pooled, keep_prob)
        logits = tf.add(tf.matmul(dropped, weights), dense_bias)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels,
                                                                      logits=logits))
        described = activations.describe_graph([loss])
        forward = activations.forward_tensors(loss, [x, labels, keep_prob])
        random = next(op for op in graph.get_operations() if op.type == "RandomUniform")
        reads = [op for op in graph.get_operations() if op.type == "ReadVariableOp"]
        feeds = {x: rng.random((5, 64)).astype(np.float32),
                 labels: np.eye(3, dtype=np.float32)[rng.integers(0, 3, 5)], keep_prob: 0.75}
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            values = session.run([forward, loss, random.outputs[0],
                                  [op.outputs[0] for op in reads]], feeds)
    found, loss_value, drawn, read = values
    sources = {tensor.name: value for tensor, value in feeds.items()}
    sources.update({op.outputs[0].name: value for op, value in zip(reads, read)})
    sources[random.outputs[0].name] = drawn
    recorded = {tensor.name: value for tensor, value in zip(forward, found)}
    sources.update(recorded)
    return described, sources, {**recorded, loss.name: loss_value}


def test_every_activation_and_the_loss_are_within_their_bounds(forward):
    described, sources, recorded = forward
    checks = graph_judge.judge_tensors(described, sources, recorded)
    judged = {check["tensor"]: check for check in checks}
    assert set(judged) == set(recorded)
    assert {"Relu:0", "dropout/SelectV2:0", "Add:0", "Mean:0"} <= set(judged), sorted(judged)
    for name, check in judged.items():
        assert check["ratio"] is not None, check
        assert check["ratio"] <= 1.0, check


def test_a_tensor_changed_beyond_rounding_is_beyond_its_bound(forward):
    described, sources, recorded = forward
    for name in ("Relu:0", "Add:0", "Mean:0"):
        changed = np.array(recorded[name], np.float32)
        flat = changed.reshape(-1)
        index = int(np.argmax(np.abs(flat)))
        flat[index] *= np.float32(1 + 1e-4)  # about 840 ulps
        check, = graph_judge.judge_tensors(described, sources, {name: changed})
        assert check["ratio"] > 1.0, (name, check)


def test_an_op_it_does_not_know_is_named_not_judged(forward):
    described, sources, recorded = forward
    renamed = [dict(entry, type="Erf") if entry["name"] == "Relu" else entry
               for entry in described]
    check, = graph_judge.judge_tensors(renamed, sources, {"Relu:0": recorded["Relu:0"]})
    assert check["ratio"] is None and "Relu (Erf)" in check["why"]
