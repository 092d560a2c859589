"""tf1kit/keras/recurrent.py against TF1's cells, built here in a v1 graph
as tf_keras's legacy cells build them (BasicLSTMCell, GRUCell,
BasicRNNCell: one kernel over concat([x, h]), TF1's gate order and
forget bias) and unrolled as `tf.nn.static_rnn` unrolls them, under TF1's
op names, differentiated by `tf.gradients` in a Session: `keras.layers.RNN`
of the faithful cell, unrolled, under the same names, differentiated by
`tf.gradients` in a tf.function, gives the same outputs and gradients,
bit for bit. Without TF1's names the kernel's gradient, a sum over the
steps whose order Grappler takes from the names, parts (T32); stock
`keras.layers.LSTM` with the same weights computes otherwise (T31)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1kit.keras.recurrent import TF1BasicLSTMCell, TF1BasicRNNCell, TF1GRUCell, TF1LSTMCell
from tf1kit.keras.rnn import TF1RNN
from tf1kit.keras.recurrent_weights import (keras_gru_weights, keras_lstm_weights,
                                            keras_simple_rnn_weights)

v1 = tf.compat.v1
STEPS, INPUTS, UNITS, BATCH = 12, 7, 8, 16  # 12 steps: a sum long enough to be regrouped
SCOPES = {"lstm": "rnn/basic_lstm_cell", "gru": "rnn/gru_cell", "rnn": "rnn/basic_rnn_cell",
          "projected": "rnn/lstm_cell", "peepholes": "rnn/lstm_cell"}
# LSTMCell's options in the two LSTMCell cases: a projection and a cell, both
# clipped (some outputs at the clip: test_..._bit_for_bit), and peepholes.
OPTIONS = {"projected": {"num_proj": 5, "proj_clip": 0.2, "cell_clip": 0.5, "forget_bias": 0.5},
           "peepholes": {"use_peepholes": True}}
PROJECTION = OPTIONS["projected"]["num_proj"]


def tf1_lstm_cell(kind, inputs, state, weights):
    """One step of TF1's LSTMCell (tf_keras's legacy LSTMCell.call, op for op)."""
    options, (c_prev, m_prev) = OPTIONS[kind], state
    lstm_matrix = tf.nn.bias_add(tf.matmul(tf.concat([inputs, m_prev], 1), weights[0]),
                                 weights[1])
    i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
    forget_bias = options.get("forget_bias", 1.0)
    if options.get("use_peepholes"):
        c = tf.sigmoid(f + forget_bias + weights[2] * c_prev) * c_prev + \
            tf.sigmoid(i + weights[3] * c_prev) * tf.tanh(j)
        m = tf.sigmoid(o + weights[4] * c) * tf.tanh(c)
    else:
        c = tf.sigmoid(f + forget_bias) * c_prev + tf.sigmoid(i) * tf.tanh(j)
        c = tf.clip_by_value(c, -options["cell_clip"], options["cell_clip"])
        m = tf.sigmoid(o) * tf.tanh(c)
        m = tf.clip_by_value(tf.matmul(m, weights[2]), -options["proj_clip"],
                             options["proj_clip"])
    return m, (c, m)


def tf1_cell(kind, inputs, state, weights):
    """One step of TF1's cell (tf_keras's legacy cells' call, op for op)."""
    if kind in OPTIONS:
        return tf1_lstm_cell(kind, inputs, state, weights)
    if kind == "lstm":
        c, h = state
        gate_inputs = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), weights[0]),
                                     weights[1])
        i, j, f, o = tf.split(value=gate_inputs, num_or_size_splits=4, axis=tf.constant(1))
        new_c = tf.add(tf.multiply(c, tf.sigmoid(tf.add(f, tf.constant(1.0)))),
                       tf.multiply(tf.sigmoid(i), tf.tanh(j)))
        new_h = tf.multiply(tf.tanh(new_c), tf.sigmoid(o))
        return new_h, (new_c, new_h)
    if kind == "rnn":
        output = tf.tanh(tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), weights[0]),
                                        weights[1]))
        return output, output
    value = tf.sigmoid(tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), weights[0]),
                                      weights[1]))
    r, u = tf.split(value=value, num_or_size_splits=2, axis=1)
    candidate = tf.nn.bias_add(tf.matmul(tf.concat([inputs, r * state], 1), weights[2]),
                               weights[3])
    new_h = u * state + (1 - u) * tf.tanh(candidate)
    return new_h, new_h


def starting_weights(kind):
    rng = np.random.default_rng(5)
    width = INPUTS + UNITS
    shapes = {"lstm": [(width, 4 * UNITS), (4 * UNITS,)], "rnn": [(width, UNITS), (UNITS,)],
              "gru": [(width, 2 * UNITS), (2 * UNITS,), (width, UNITS), (UNITS,)],
              "projected": [(INPUTS + PROJECTION, 4 * UNITS), (4 * UNITS,),
                            (UNITS, PROJECTION)],
              "peepholes": [(width, 4 * UNITS), (4 * UNITS,)] + [(UNITS,)] * 3}[kind]
    return [(rng.normal(size=shape) * 0.3).astype(np.float32) for shape in shapes]


def sequence():
    return np.random.default_rng(6).normal(size=(BATCH, STEPS, INPUTS)).astype(np.float32)


def tf1_run(kind, config=None):
    """(last output, gradients of sum(last ** 2)) of TF1's unrolled RNN
    (`config`: the Session's ConfigProto)."""
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, STEPS, INPUTS])
        weights = [v1.Variable(value, name=f"w{index}")
                   for index, value in enumerate(starting_weights(kind))]
        zeros = tf.zeros(tf.stack([tf.shape(x)[0], UNITS]))
        state = (zeros, tf.zeros(tf.stack([tf.shape(x)[0], PROJECTION]))) \
            if kind == "projected" else (zeros, zeros) if kind in ("lstm", "peepholes") \
            else zeros
        for step_input in tf.unstack(x, STEPS, 1):
            with tf.name_scope(SCOPES[kind] + "/"):  # static_rnn's cell scope, reused
                output, state = tf1_cell(kind, step_input, state, weights)
        loss = tf.reduce_sum(output * output)
        gradients = v1.train.GradientDescentOptimizer(0.1).compute_gradients(loss, weights)
        with v1.Session(graph=graph, config=config) as session:
            session.run(v1.global_variables_initializer())
            return session.run([output, [gradient for gradient, _ in gradients]],
                               {x: sequence()})


def keras_run(kind, scope=True):
    cell = {"lstm": TF1BasicLSTMCell(UNITS, forget_bias=1.0, scope=SCOPES[kind] if scope
                                     else None, name="cell"),
            "rnn": TF1BasicRNNCell(UNITS, scope=SCOPES[kind] if scope else None, name="cell"),
            "gru": TF1GRUCell(UNITS, scope=SCOPES[kind] if scope else None, name="cell"),
            **{each: TF1LSTMCell(UNITS, **OPTIONS[each], scope=SCOPES[each] if scope else None,
                                 name="cell") for each in OPTIONS}}[kind]
    layer = keras.layers.RNN(cell, unroll=True)
    layer.build((None, STEPS, INPUTS))
    for variable, value in zip(cell.weights, starting_weights(kind)):
        variable.assign(value)

    @tf.function(input_signature=[tf.TensorSpec([None, STEPS, INPUTS])])
    def step(x):
        output = layer(x)
        return output, tf.gradients(tf.reduce_sum(output * output), cell.weights,
                                    gate_gradients=True)
    output, gradients = step(sequence())
    return output.numpy(), [gradient.numpy() for gradient in gradients]


@pytest.mark.parametrize("kind", sorted(set(SCOPES) - {"peepholes"}))
def test_a_faithful_cell_unrolled_is_static_rnn_bit_for_bit(kind):
    (ours, our_gradients), (theirs, their_gradients) = tf1_run(kind), keras_run(kind)
    assert ours.tobytes() == theirs.tobytes()
    for index, (a, b) in enumerate(zip(our_gradients, their_gradients)):
        assert a.tobytes() == b.tobytes(), f"gradient {index}"
    if kind == "projected":  # the clips took part
        assert np.abs(ours).max() == np.float32(OPTIONS[kind]["proj_clip"])


def test_lstm_peepholes_are_tf1s_ops_bit_for_bit_where_grappler_rewrites_neither():
    """LSTMCell's peepholes: outputs and gradients bit for bit where
    Grappler's arithmetic optimizer is off on both sides (the same ops, the
    same arithmetic). On, a Session rewrites TF1's graph in ways a
    tf.function does not rewrite the rewrite's (measured on Zen 4: the
    gradients round otherwise from step 1, ROUNDING; docs/convert.md)."""
    from tensorflow.core.protobuf import rewriter_config_pb2
    config = v1.ConfigProto()
    config.graph_options.rewrite_options.arithmetic_optimization = \
        rewriter_config_pb2.RewriterConfig.OFF
    ours, our_gradients = tf1_run("peepholes", config)
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    try:
        theirs, their_gradients = keras_run("peepholes")
    finally:
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": True})
    assert ours.tobytes() == theirs.tobytes()
    for index, (a, b) in enumerate(zip(our_gradients, their_gradients)):
        assert a.tobytes() == b.tobytes(), f"gradient {index}"


def test_without_tf1s_op_names_the_kernels_gradient_is_summed_otherwise():
    """T32's negative control: the same cell under Keras's own names."""
    (_, ours), (_, theirs) = tf1_run("lstm"), keras_run("lstm", scope=False)
    assert ours[0].tobytes() != theirs[0].tobytes()


def stacked_gru_weights():
    """Two GRUCells' weights: the first reads the inputs, the second the first's output."""
    rng = np.random.default_rng(7)
    return [[(rng.normal(size=shape) * 0.3).astype(np.float32)
             for shape in ((width, 2 * UNITS), (2 * UNITS,), (width, UNITS), (UNITS,))]
            for width in (INPUTS + UNITS, 2 * UNITS)]


def tf1_stacked_gru():
    """Gradients of sum(last ** 2) of a MultiRNNCell of two GRUCells run by
    static_rnn: each step calls cell 0 then cell 1, each under its scope."""
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, STEPS, INPUTS])
        weights = [[v1.Variable(value) for value in layer] for layer in stacked_gru_weights()]
        states = [tf.zeros(tf.stack([tf.shape(x)[0], UNITS]))] * 2
        for step_input in tf.unstack(x, STEPS, 1):
            for index in range(2):
                with tf.name_scope(f"rnn/multi_rnn_cell/cell_{index}/gru_cell/"):
                    step_input, states[index] = tf1_cell("gru", step_input, states[index],
                                                         weights[index])
        gradients = tf.gradients(tf.reduce_sum(step_input * step_input), weights[0])
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            return session.run(gradients, {x: sequence()})


def keras_stacked_gru(layer_class):
    cells = [TF1GRUCell(UNITS, scope=f"rnn/multi_rnn_cell/cell_{index}/gru_cell",
                        name=f"cell_{index}") for index in range(2)]
    layer = layer_class(keras.layers.StackedRNNCells(cells), unroll=True)
    layer.build((None, STEPS, INPUTS))
    for cell, values in zip(cells, stacked_gru_weights()):
        for variable, value in zip(cell.weights, values):
            variable.assign(value)

    @tf.function(input_signature=[tf.TensorSpec([None, STEPS, INPUTS])])
    def step(x):
        output = layer(x)
        return tf.gradients(tf.reduce_sum(output * output), cells[0].weights,
                            gate_gradients=True)
    return [gradient.numpy() for gradient in step(sequence())]


def test_a_stack_in_tf1rnn_is_static_rnns_stack_bit_for_bit():
    """T32 for a stack: keras.layers.RNN calls each stacked cell once before
    the steps (Keras's dropout-mask set-up), so the cells' op names start one
    step later than TF1's and the lower GRU's gradient sums, ordered by name,
    add otherwise; TF1RNN skips that call: bit for bit."""
    theirs = tf1_stacked_gru()
    for index, (a, b) in enumerate(zip(theirs, keras_stacked_gru(TF1RNN))):
        assert a.tobytes() == b.tobytes(), f"gradient {index}"
    stock = keras_stacked_gru(keras.layers.RNN)  # the negative control
    assert any(a.tobytes() != b.tobytes() for a, b in zip(theirs, stock))


KEEP = 0.7  # the wrapped stack's fed keep probability


def tf1_wrapped_gru_stack():
    """(gradients of sum(last ** 2), each step's dropout seed2 by layer) of a
    MultiRNNCell of two GRUCells in DropoutWrappers run by static_rnn, under
    the names static_rnn gives: the cells' ops `rnn/rnn/multi_rnn_cell/
    cell_i/gru_cell/...`, each step's dropout `.../cell_i_t/dropout/...`."""
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(3)
        x = v1.placeholder(tf.float32, [None, STEPS, INPUTS])
        keep = v1.placeholder(tf.float32, [])
        weights = [[v1.Variable(value) for value in layer] for layer in stacked_gru_weights()]
        states = [tf.zeros(tf.stack([tf.shape(x)[0], UNITS]))] * 2
        seeds = [[], []]
        for step_input in tf.unstack(x, STEPS, 1):
            for index in range(2):
                with tf.name_scope(f"rnn/rnn/multi_rnn_cell/cell_{index}/gru_cell/"):
                    output, states[index] = tf1_cell("gru", step_input, states[index],
                                                     weights[index])
                with tf.name_scope("rnn/rnn/multi_rnn_cell/"), tf.name_scope(f"cell_{index}"):
                    step_input = v1.nn.dropout(output, keep_prob=keep)
                seeds[index].append(next(
                    op.get_attr("seed2") for op in reversed(graph.get_operations())
                    if op.type == "RandomUniform"))
        gradients = tf.gradients(tf.reduce_sum(step_input * step_input), weights[0])
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            return session.run(gradients, {x: sequence(), keep: KEEP}), seeds


def keras_wrapped_gru_stack(seeds, tf1_names=True):
    """The stack as tf1-convert writes it (TF1DropoutWrapper in TF1RNN), its
    ops under TF1's names or (`tf1_names=False`) under the variables' scope."""
    from tf1kit.keras.rnn import TF1DropoutWrapper
    prefix = "rnn/rnn/" if tf1_names else "rnn/"
    cells = [TF1GRUCell(UNITS, scope=f"{prefix}multi_rnn_cell/cell_{index}/gru_cell",
                        name="cell") for index in range(2)]
    wrapped = [TF1DropoutWrapper(cell, seed=3, seed2=seeds[index], op_name=f"d{index}",
                                 scope=f"rnn/rnn/multi_rnn_cell/cell_{index}"
                                 if tf1_names else None, name=f"cell_{index}")
               for index, cell in enumerate(cells)]
    layer = TF1RNN(keras.layers.StackedRNNCells(wrapped), unroll=True)
    layer.build((None, STEPS, INPUTS))
    for cell, values in zip(cells, stacked_gru_weights()):
        for variable, value in zip(cell.weights, values):
            variable.assign(value)

    @tf.function(input_signature=[tf.TensorSpec([None, STEPS, INPUTS]), tf.TensorSpec([])])
    def step(x, keep):
        output = layer(x, keep_prob=keep, training=True)
        return tf.gradients(tf.reduce_sum(output * output), cells[0].weights,
                            gate_gradients=True)
    return [gradient.numpy() for gradient in step(sequence(), tf.constant(KEEP))]


def test_a_wrapped_stacks_ops_under_tf1s_names_are_static_rnns_bit_for_bit():
    """T32 for a static stack of GRUs in DropoutWrappers: each step's dropout
    drawn from its own op's seed, the cells' ops under TF1's op scope and
    each dropout under TF1's numbered scope, bit for bit; under the
    variables' scope, Grappler sums the lower cell's gradients otherwise."""
    theirs, seeds = tf1_wrapped_gru_stack()
    for index, (a, b) in enumerate(zip(theirs, keras_wrapped_gru_stack(seeds))):
        assert a.tobytes() == b.tobytes(), f"gradient {index}"
    other = keras_wrapped_gru_stack(seeds, tf1_names=False)  # the negative control
    assert any(a.tobytes() != b.tobytes() for a, b in zip(theirs, other))


def test_stock_lstm_with_tf1s_weights_is_the_same_function_computed_otherwise():
    """T31: TF1's weights moved into keras.layers.LSTM (keras_lstm_weights)
    give the same outputs to float32 rounding, not bit for bit."""
    kernel, bias = starting_weights("lstm")
    stock = keras.layers.LSTM(UNITS, unroll=True)
    stock.build((None, STEPS, INPUTS))
    stock.set_weights(keras_lstm_weights(kernel, bias, forget_bias=1.0))
    ours, theirs = tf1_run("lstm")[0], stock(sequence()).numpy()
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)  # one function: rounding apart
    assert ours.tobytes() != theirs.tobytes()


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_stock_gru_and_simple_rnn_with_tf1s_weights_compute_the_same_function_otherwise(kind):
    """T31 for the other two cells: TF1's weights moved into
    keras.layers.GRU(reset_after=False) (gates reordered) and SimpleRNN (the
    kernel's rows split) give TF1's outputs to float32 rounding, not bit
    for bit (two matmuls and another sum where TF1 ran one over concat)."""
    weights = starting_weights(kind)
    if kind == "gru":
        stock = keras.layers.GRU(UNITS, reset_after=False, unroll=True)
        moved = keras_gru_weights(*weights)
    else:
        stock = keras.layers.SimpleRNN(UNITS, unroll=True)
        moved = keras_simple_rnn_weights(*weights)
    stock.build((None, STEPS, INPUTS))
    stock.set_weights(moved)
    ours, theirs = tf1_run(kind)[0], stock(sequence()).numpy()
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-5)  # one function: rounding apart
    assert ours.tobytes() != theirs.tobytes()
