"""tf1-convert's slicing expressions (tf1kit/convert/slicing.py): each TF1
op described as tf1-run's trace describes it, written back as the
expression, and the expression run against the TF1 graph's own value."""

import numpy as np
import pytest
import tensorflow as tf

from tf1kit.convert.expressions import Unsupported, Writer
from tf1kit.convert.graph import Graph
from tf1kit.run.activations import describe_graph

VALUE = np.arange(24, dtype=np.float32).reshape(4, 6)
SLICES = {
    "columns": lambda x: x[:, 1:3],
    "from_on": lambda x: x[:, 2:],
    "strided": lambda x: x[::2, ::-1],
    "row": lambda x: x[1],
    "new_axis": lambda x: x[:, tf.newaxis, 3],
    "ellipsis": lambda x: x[..., 0],
    "split": lambda x: tf.split(x, 3, axis=1)[2],
    "split_sizes": lambda x: tf.split(x, [2, 4], axis=1)[1],
    "unstack": lambda x: tf.unstack(x, axis=1)[4],
    "gather": lambda x: tf.gather(x, [3, 0], axis=1),
    "gather_rows": lambda x: tf.gather(x, [2, 2]),
    "slice": lambda x: tf.slice(x, [1, 2], [2, 3]),
    "concat": lambda x: tf.concat([x, 2.0 * x], 1),
    "stack": lambda x: tf.stack([x, x + 1.0], axis=2),
    "dynamic_partition": lambda x: tf.dynamic_partition(x, [0, 0, 0, 1], 2)[1],
}


def tf1_case(build):
    """(the graph's description, its output tensor's name, its TF1 value)."""
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 6], name="x")
        out = tf.identity(build(x), name="out")
        described = describe_graph([out])
        with tf.compat.v1.Session() as session:
            value = session.run(out, {x: VALUE})
    return described, out.op.inputs[0].name, value


@pytest.mark.parametrize("name", sorted(SLICES))
def test_a_slicing_op_is_written_as_the_expression_that_gives_its_values(name):
    described, tensor, expected = tf1_case(SLICES[name])
    text = Writer(Graph(described, ""), {"x:0": "x"}).expression(tensor)
    got = eval(text, {"tf": tf, "x": tf.constant(VALUE)})  # noqa: S307 (our own text)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_a_slice_of_a_computed_bound_is_refused_with_its_op():
    described, tensor, _ = tf1_case(lambda x: x[:, :tf.shape(x)[0]])
    with pytest.raises(Unsupported, match="StridedSlice .*arguments are computed in the graph"):
        Writer(Graph(described, ""), {"x:0": "x"}).expression(tensor)


def test_a_tensor_the_model_binds_and_the_loss_reads_is_returned_not_recomputed():
    """TF1 computed `half` once; a loss that sliced `stats` again would make
    a second op, and `stats` would get its gradient as another sum."""
    from tf1kit.convert import program
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 6], name="x")
        stats = tf.matmul(x, tf.compat.v1.Variable(tf.ones([6, 4]))) + \
            tf.compat.v1.Variable(tf.zeros([4]))
        half = stats[:, :2]
        out = tf.matmul(half, tf.compat.v1.Variable(tf.ones([2, 3]))) + \
            tf.compat.v1.Variable(tf.zeros([3]))
        loss = tf.reduce_mean(tf.square(out)) + tf.reduce_mean(tf.square(half))
        described = describe_graph([loss])
    manifest = {"optimizers": [{"class": "GradientDescentOptimizer", "loss": loss.name}],
                "random_ops": []}
    built = program.build(Graph(described, ""), manifest, "s.py")
    sliced = [statement for statement in built.body if "[:, :2]" in statement.text]
    assert len(sliced) == 1 and sliced[0].target in built.outputs
    assert sliced[0].target in built.loss_arguments
    assert "[:, :2]" not in built.loss.text + "".join(s.text for s in built.loss_body)
