"""tf1-convert's reading of a traced graph, without TensorFlow: the forward
graph as legacy/activations.describe_graph writes it into a trace's
manifest (here written out for small scripts), lifted to layers, named
from the script's source, and emitted as Python that compiles. The whole
command, traced and proven, runs in tests/test_your_own_model.py."""

import ast
import dataclasses

import numpy as np
import pytest

from tf1kit.convert import emit, naming, program
from tf1kit.convert.expressions import Unsupported
from tf1kit.convert.graph import Graph, fed_as_inputs
from tf1kit.convert.lift import lift
from tf1kit.convert.optimizers import OptimizerUnsupported, optimizer_source
from tf1kit.convert.source import WIDTH, Call, Source, list_text
from tf1kit.convert.specs import BY_KIND
from tf1kit.convert.specs.base import Layer
from tf1kit.trace.graph import taken_branches

SCRIPT = """\
import tensorflow as tf
X = tf.placeholder("float", [None, 3])
weights = {
    'encoder_h1': tf.Variable(tf.random_normal([3, 3])),
}
biases = {
    'encoder_b1': tf.Variable(tf.random_normal([3])),
}
def encoder(x):
    layer_1 = tf.nn.sigmoid(tf.add(tf.matmul(x, weights['encoder_h1']),
                                   biases['encoder_b1']))
    return layer_1
code = encoder(X)
cost = tf.reduce_mean(tf.pow(X - code, 2))
"""


def op(name, type_, inputs=(), shape=(-1, 3), line="s.py:10", **extra):
    return {"name": name, "type": type_, "inputs": list(inputs), "shapes": [list(shape)],
            "line": line, "function": "encoder" if line == "s.py:10" else "<module>",
            "callers": ["s.py:13"] if line == "s.py:10" else [], **extra}


def described(loss_op="Pow"):
    """The autoencoder-like graph of SCRIPT (its loss's op replaceable)."""
    return [op("Placeholder", "Placeholder", line="s.py:2"),
            op("Variable/read", "VariableRead", shape=(3, 3), line="s.py:4",
               variable="Variable"),
            op("Variable_1/read", "VariableRead", shape=(3,), line="s.py:7",
               variable="Variable_1"),
            op("MatMul", "MatMul", ["Placeholder:0", "Variable/read:0"],
               attributes={"transpose_a": False, "transpose_b": False}),
            op("Add", "AddV2", ["MatMul:0", "Variable_1/read:0"]),
            op("Sigmoid", "Sigmoid", ["Add:0"]),
            op("sub", "Sub", ["Placeholder:0", "Sigmoid:0"], line="s.py:14"),
            op("Pow/y", "Const", shape=(), line="s.py:14", value=2.0),
            op("Pow", loss_op, ["sub:0", "Pow/y:0"], line="s.py:14"),
            op("Const", "Const", shape=(2,), line="s.py:14", value=[0, 1]),
            op("Mean", "Mean", ["Pow:0", "Const:0"], shape=(), line="s.py:14",
               attributes={"keep_dims": False})]


MANIFEST = {"optimizers": [{"class": "AdamOptimizer", "loss": "Mean:0",
                            "hyperparameters": {"learning_rate": 0.01, "beta1": 0.9,
                                                "beta2": 0.999, "epsilon": 1e-08}}],
            "random_ops": []}


def setting(mode="exact", **fields) -> emit.Setting:
    """The emit.Setting of SCRIPT's rewrite (batches of 2 for 3 epochs, X
    fed MNIST's images, digit labels), with `fields` changed."""
    return dataclasses.replace(emit.Setting(
        "s.py", "s_keras.py", mode, 2, ("EPOCHS", 3, "s.py:1  epochs = 3"),
        {**MANIFEST["optimizers"][0], "line": "s.py:15"}, "s.py:1", False, {"X": "images"}, {}),
        **fields)


def built(loss_op="Pow", exact=True):
    return program.build(Graph(described(loss_op), SCRIPT), MANIFEST, "s.py", exact)


def test_an_output_the_script_calls_model_is_renamed_where_the_step_holds_the_model():
    """`model = tf.matmul(L2, W3)` (golbin's tutorials): the training step's
    `model` is the Keras model, so the output it binds is `model_output`
    (`model = model(X)` failed at step 1: UnboundLocalError)."""
    assert program.build(Graph(described(), SCRIPT), MANIFEST, "s.py", True).output_names \
        == ["code"]
    renamed = program.build(Graph(described(), SCRIPT.replace("code", "model")), MANIFEST,
                            "s.py", True)
    assert renamed.output_names == ["model_output"]
    assert renamed.loss_arguments == ["model_output", "X"]


def test_matmul_add_sigmoid_is_one_dense_layer_named_by_its_kernel():
    result = built()
    [layer] = result.layers
    assert (layer.kind, layer.name) == ("dense", "encoder_h1")
    assert layer.config == {"units": 3, "bias_op": "AddV2", "activation": "sigmoid"}
    assert layer.variables == {"kernel": "Variable", "bias": "Variable_1"}
    assert layer.ops == ["MatMul", "Add", "Sigmoid"]


def test_names_come_from_the_script_lines_that_made_the_tensors():
    result = built()
    assert result.model_class == "Encoder"           # the function that built the layers
    assert result.body[0].target == "layer_1"         # what its line assigns
    assert result.output_names == ["code"]            # what the caller's line assigns
    assert result.loss_name == "cost"
    assert result.body[0].tags[0].startswith("s.py:10  layer_1 = tf.nn.sigmoid(tf.add(")


def test_the_loss_is_written_as_the_calls_that_build_its_ops():
    # Mean over every axis is tf.reduce_mean with no axis, as the script wrote it.
    assert built().loss.text == "tf.reduce_mean(tf.pow(X - code, 2.0))"


def test_every_op_with_no_layer_or_expression_is_refused_by_type_and_line():
    graph = described(loss_op="Erfinv")
    graph[-1]["type"] = "Erfc"  # the Mean too: two ops refused, one line each
    with pytest.raises(Unsupported) as refused:
        program.build(Graph(graph, SCRIPT), MANIFEST, "s.py")
    assert refused.value.lines() == [
        "Erfinv Pow (s.py:14): no Keras layer or TensorFlow expression for this op yet",
        "Erfc Mean (s.py:14): no Keras layer or TensorFlow expression for this op yet"]


def test_each_mode_writes_the_scripts_hyperparameters_and_refuses_the_unknown():
    momentum = {"class": "MomentumOptimizer", "line": "s.py:20",
                "hyperparameters": {"learning_rate": 0.1, "momentum": 0.9,
                                    "use_nesterov": True}}
    assert optimizer_source(momentum, exact=True) == (
        "TF1Momentum(learning_rate=0.1, momentum=0.9, nesterov=True)", {"TF1Momentum"}, None)
    assert optimizer_source(momentum, exact=False)[0] == \
        "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)"
    with pytest.raises(OptimizerUnsupported, match=r"^FtrlOptimizer \(s.py:3\): no Keras 3"):
        optimizer_source({"class": "FtrlOptimizer", "line": "s.py:3",
                          "hyperparameters": {}}, exact=True)


def test_a_learning_rate_computed_in_the_graph_is_refused_not_defaulted():
    decayed = {"class": "AdamOptimizer", "line": "s.py:9",
               "hyperparameters": {"learning_rate": None, "beta1": 0.9}}
    with pytest.raises(OptimizerUnsupported, match="its learning_rate is a tensor"):
        optimizer_source(decayed, exact=True)


def test_a_tf_train_schedule_on_the_advanced_step_is_keras_schedule_of_the_same_numbers():
    scheduled = {"class": "GradientDescentOptimizer", "line": "s.py:9",
                 "hyperparameters": {"learning_rate": None}, "global_step": "global_step",
                 "learning_rate_schedule": {
                     "function": "exponential_decay", "step": "global_step", "line": "s.py:8",
                     "arguments": {"learning_rate": 0.1, "decay_steps": 100,
                                   "decay_rate": 0.96, "staircase": True}}}
    for exact in (True, False):
        expression, _, schedule = optimizer_source(scheduled, exact)
        assert expression.endswith("(learning_rate=learning_rate)")
        assert schedule == ("keras.optimizers.schedules.ExponentialDecay(initial_learning_rate="
                            "0.1, decay_steps=100, decay_rate=0.96, staircase=True)", "s.py:8")
    frozen = {**scheduled, "global_step": None}  # minimize() not given the step
    with pytest.raises(OptimizerUnsupported, match="reads a step this optimizer does not"):
        optimizer_source(frozen, exact=True)
    fed = {**scheduled, "learning_rate_schedule": {
        **scheduled["learning_rate_schedule"],
        "arguments": {**scheduled["learning_rate_schedule"]["arguments"], "decay_rate": None}}}
    with pytest.raises(OptimizerUnsupported, match="decay_rate is a tensor"):
        optimizer_source(fed, exact=True)


def test_adam_keeps_tf1s_epsilon_in_both_modes():
    entry = MANIFEST["optimizers"][0]
    assert optimizer_source(entry, exact=True) == ("TF1Adam(learning_rate=0.01)", {"TF1Adam"},
                                                   None)
    assert optimizer_source(entry, exact=False)[0] == \
        "keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-08)"


@pytest.mark.parametrize("mode", ["exact", "idiomatic"])
def test_the_rewrite_is_python_with_a_tag_per_layer_and_nothing_unused(mode):
    text = emit.source(built(exact=mode == "exact"), setting(mode))
    tree = ast.parse(text)
    assert "# s.py:10  layer_1 = tf.nn.sigmoid(" in text
    assert ("AddBiasDense(3" in text) == (mode == "exact")
    imported = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert imported <= used, f"imported and never used: {imported - used}"
    # What a rewrite imports: the standard library, NumPy, TensorFlow, Keras
    # and, in exact mode, the faithful pieces by their one public name.
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names} | {node.module for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    assert modules <= {"argparse", "gzip", "os", "keras", "numpy", "tensorflow",
                       "tf1kit.keras"}, modules
    assert ("tf1kit.keras" in modules) == (mode == "exact")


def test_the_source_writer_wraps_a_long_call_under_its_parenthesis():
    out = Source()
    with out.block("def f():"):
        out.statement("x = ", Call("keras.layers.Conv2D", ["8", "(5, 5)", 'padding="same"',
                                                           'activation="relu"', 'name="a"' * 5]))
        out.statement("y = ", Call("g", ["1", "2"]))
    lines = out.text().splitlines()
    assert lines[1] == '    x = keras.layers.Conv2D(8, (5, 5), padding="same", activation="relu",'
    assert lines[2].startswith(" " * len("    x = keras.layers.Conv2D(") + 'name="a"')
    assert lines[3] == "    y = g(1, 2)"
    assert all(len(line) <= WIDTH for line in lines)


def test_an_argument_too_wide_under_the_parenthesis_hangs_instead():
    """A nested call (an RNN's cell) that would pass WIDTH under the
    opening parenthesis goes on the next line, indented once."""
    out = Source()
    with out.block("def f():"):
        out.statement("self.lstm = ", Call("keras.layers.RNN", [
            str(Call("TF1BasicLSTMCell", ["64", "forget_bias=1.0",
                                          'scope="rnn/basic_lstm_cell"', 'name="cell"'])),
            'name="lstm"']))
    lines = out.text().splitlines()
    assert lines[1:] == ["    self.lstm = keras.layers.RNN(",
                         '        TF1BasicLSTMCell(64, forget_bias=1.0, '
                         'scope="rnn/basic_lstm_cell", name="cell"),',
                         '        name="lstm")']


def test_each_lifted_kind_has_one_spec_that_writes_its_layer():
    """Every kind a spec lifts is written by that spec (its pattern, layer,
    imports and call arguments in one module of specs/)."""
    assert set(BY_KIND) == {"dense", "conv2d", "max_pool", "average_pool", "reshape",
                            "flatten", "dropout", "noise", "activation", "zero_padding",
                            "tied_dense", "batch_norm", "recurrent"}
    [layer] = built().layers
    assert str(BY_KIND["dense"].layer(layer, True, {})) == \
        'AddBiasDense(3, activation="sigmoid", name="encoder_h1")'
    assert BY_KIND["dense"].imports(layer, True) == {"AddBiasDense"}
    assert BY_KIND["dense"].imports(layer, False) == set()


def test_a_constant_zero_pad_of_an_image_batch_is_a_zero_padding_layer():
    """The construct added as one module of specs/ (padding.py) and nothing
    else: found by its pattern, named, written."""
    graph = [op("Placeholder", "Placeholder", shape=(-1, 4, 4, 1), line="s.py:2"),
             op("Pad/paddings", "Const", shape=(4, 2), line="s.py:14",
                value=[[0, 0], [1, 2], [3, 4], [0, 0]]),
             op("Pad", "Pad", ["Placeholder:0", "Pad/paddings:0"], shape=(-1, 7, 11, 1),
                line="s.py:14"),
             op("Const", "Const", shape=(4,), line="s.py:14", value=[0, 1, 2, 3]),
             op("Mean", "Mean", ["Pad:0", "Const:0"], shape=(), line="s.py:14",
                attributes={"keep_dims": False})]
    result = program.build(Graph(graph, SCRIPT), MANIFEST, "s.py")
    [layer] = result.layers
    assert (layer.kind, layer.config) == ("zero_padding", {"padding": ((1, 2), (3, 4))})
    assert str(BY_KIND["zero_padding"].layer(layer, True, {})) == \
        f'keras.layers.ZeroPadding2D(((1, 2), (3, 4)), name="{layer.name}")'
    graph[1]["value"] = [[1, 0], [1, 2], [3, 4], [0, 0]]  # pads the batch: no layer for it
    with pytest.raises(Unsupported, match="^Pad Pad"):
        program.build(Graph(graph, SCRIPT), MANIFEST, "s.py")


def with_penalties(nested: bool) -> list:
    """SCRIPT's graph with two L2 penalties summed by tf.add_n: added to the
    loss (`cost + tf.add_n(...)`, a sum of sums) or in one AddN with it."""
    summed = ["L2Loss:0", "L2Loss_1:0"] if nested else ["Mean:0", "L2Loss:0", "L2Loss_1:0"]
    penalties = [op("L2Loss", "L2Loss", ["Variable/read:0"], shape=(), line="s.py:15"),
                 op("L2Loss_1", "L2Loss", ["Variable_1/read:0"], shape=(), line="s.py:15"),
                 op("AddN", "AddN", summed, shape=(), line="s.py:15")]
    total = [op("add_1", "AddV2", ["Mean:0", "AddN:0"], shape=(), line="s.py:15")] \
        if nested else []
    return described() + penalties + total


def emitted(graph_ops, loss: str, mode: str) -> str:
    manifest = {**MANIFEST, "optimizers": [{**MANIFEST["optimizers"][0], "loss": loss}]}
    built_program = program.build(Graph(graph_ops, SCRIPT + "total = cost\n"), manifest, "s.py",
                                  mode == "exact")
    return emit.source(built_program, setting(mode, optimizer={**manifest["optimizers"][0],
                                                               "line": "s.py:16"}))


def test_a_sum_of_sums_turns_grapplers_folding_off_in_exact_mode_only():
    """MIGRATION.md T22: Grappler folds `loss + tf.add_n(...)` into one AddN
    in a tf.function, not in TF1's graph; a lone AddN is left alone."""
    option = 'tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})'
    exact = emitted(with_penalties(nested=True), "add_1:0", "exact")
    assert option in exact and "FAITHFUL DEVIATION" in exact
    assert "cost + tf.add_n([tf.nn.l2_loss(model.encoder_h1.kernel)," in exact
    assert option not in emitted(with_penalties(nested=True), "add_1:0", "idiomatic")
    assert option not in emitted(with_penalties(nested=False), "AddN:0", "exact")


def test_a_long_expression_wraps_at_the_arguments_it_ends_with():
    out = Source()
    with out.block("def f():"):
        out.expression("return ", "loss + tf.add_n([" + ", ".join(
            f"penalty_number_{index}" for index in range(8)) + "])")
        out.expression("return ", "a + b")
    lines = out.text().splitlines()
    assert lines[1].startswith("    return loss + tf.add_n([penalty_number_0, ")
    wrapped = lines[2:lines.index("    return a + b")]
    assert wrapped and all(line.startswith(" " * len("    return loss + tf.add_n([p"[:-1]))
                           for line in wrapped)
    assert wrapped[-1].endswith("penalty_number_7])")
    assert all(len(line) <= WIDTH for line in lines)


def test_a_weightless_layer_takes_the_scope_its_line_names():
    graph_ops = described() + [
        op("pool1/MaxPool2D/MaxPool", "MaxPool", ["Sigmoid:0"], shape=(-1, 3), line="s.py:15")]
    graph = Graph(graph_ops, SCRIPT + 'pooled = max_pool2d(code, [2, 2], scope="pool1")\n')
    layer = Layer("max_pool", "Sigmoid:0", "pool1/MaxPool2D/MaxPool:0",
                  ["pool1/MaxPool2D/MaxPool"])
    assert naming.scope_name(graph, layer) == "pool1"
    unnamed = Graph(graph_ops, SCRIPT + "pooled = max_pool2d(code, [2, 2])\n")
    assert naming.scope_name(unnamed, layer) is None


def test_a_fed_tensor_that_is_not_a_placeholder_becomes_the_input():
    """`xs = tf.placeholder(...) / 255.` fed as `{xs: batch}`: TF1 replaced
    the division by the fed value, so the model's input is `xs` itself."""
    described = [op("Placeholder", "Placeholder", line="s.py:2"),
                 op("truediv/y", "Const", shape=(), line="s.py:2", value=255.0),
                 op("truediv", "RealDiv", ["Placeholder:0", "truediv/y:0"], line="s.py:2"),
                 *described_after_input("truediv:0")]
    cut = fed_as_inputs(described, ["truediv:0"], ["Mean:0"])
    names = [entry["name"] for entry in cut]
    assert "Placeholder" not in names and "truediv/y" not in names
    fed = next(entry for entry in cut if entry["name"] == "truediv")
    assert fed["type"] == "Placeholder" and fed["inputs"] == []
    assert fed["attributes"] == {"fed_over": "RealDiv"}
    assert fed_as_inputs(described, ["Placeholder:0"], ["Mean:0"]) == described
    built_program = program.build(Graph(cut, SCRIPT), MANIFEST, "s.py")
    assert list(built_program.inputs.values()) == ["X"]  # s.py:2 assigns X
    assert list(built_program.fed_over) == ["X"]


def described_after_input(tensor: str) -> list:
    """SCRIPT's graph after its input, reading `tensor` instead of X."""
    return [dict(entry, inputs=[tensor if name == "Placeholder:0" else name
                                for name in entry["inputs"]])
            for entry in described() if entry["name"] != "Placeholder"]


def test_a_row_vector_bias_keeps_its_shape_in_exact_mode():
    graph_ops = [dict(entry, shapes=[[1, 3]]) if entry["name"] == "Variable_1/read" else entry
                 for entry in described()]
    built_program = program.build(Graph(graph_ops, SCRIPT), MANIFEST, "s.py")
    layer = built_program.layers[0]
    assert layer.config["bias_shape"] == (1, 3)
    assert "bias_shape=(1, 3)" in str(BY_KIND["dense"].layer(layer, True, {}))
    assert "bias_shape" not in str(BY_KIND["dense"].layer(layer, False, {}))


def test_add_bias_dense_holds_a_row_vector_bias_and_adds_it_by_broadcasting():
    import tensorflow as tf

    from tf1kit.keras import AddBiasDense
    layer = AddBiasDense(3, bias_shape=(1, 3), activation="tanh", name="l1")
    inputs = tf.constant(np.random.RandomState(0).randn(5, 4).astype(np.float32))
    with tf.GradientTape() as tape:
        outputs = layer(inputs)
    assert [tuple(weight.shape) for weight in layer.trainable_weights] == [(4, 3), (1, 3)]
    kernel, bias = (tf.Variable(weight.numpy()) for weight in layer.trainable_weights)
    with tf.GradientTape() as reference_tape:
        expected = tf.tanh(tf.add(tf.matmul(inputs, kernel), bias))  # TF1's [1, n] `+ b`
    np.testing.assert_array_equal(outputs.numpy(), expected.numpy())
    np.testing.assert_array_equal(tape.gradient(outputs, layer.bias).numpy(),
                                  reference_tape.gradient(expected, bias).numpy())
    again = AddBiasDense.from_config(layer.get_config())
    again.build((None, 4))
    assert tuple(again.bias.shape) == (1, 3)


def test_batches_cut_in_order_are_told_from_shuffled_ones():
    from tf1kit.convert.rewrite import in_order
    sliced = np.arange(12).reshape(4, 3)  # examples 0-11, three at a time
    assert in_order(sliced)
    assert in_order(np.concatenate([sliced[:2], sliced[:2]]))  # a second pass from the start
    assert not in_order(sliced[[1, 0, 2, 3]])
    assert not in_order(np.array([[0, 1, 2], [3, 5, 4]]))


def test_one_hot_and_cast_are_written_as_the_calls_that_build_them():
    from tf1kit.convert.expressions import Writer

    def graph(on_value):
        return Graph([op("labels", "Placeholder", shape=(-1,), line="s.py:2"),
                      op("one_hot/depth", "Const", shape=(), line="s.py:2", value=10),
                      op("one_hot/on_value", "Const", shape=(), line="s.py:2", value=on_value),
                      op("one_hot/off_value", "Const", shape=(), line="s.py:2", value=0.0),
                      op("one_hot", "OneHot", ["labels:0", "one_hot/depth:0",
                                               "one_hot/on_value:0", "one_hot/off_value:0"],
                         shape=(-1, 10), line="s.py:2", attributes={"axis": -1}),
                      op("Cast", "Cast", ["one_hot:0"], shape=(-1, 10), line="s.py:2",
                         attributes={"DstT": "float16"})], SCRIPT)
    assert Writer(graph(1.0), {"labels:0": "labels"}).expression("Cast:0") == \
        "tf.cast(tf.one_hot(labels, 10), tf.float16)"
    assert Writer(graph(0.9), {"labels:0": "labels"}).expression("one_hot:0") == \
        "tf.one_hot(labels, 10, on_value=0.9)"


def test_a_tf_data_batch_is_the_models_input_named_by_its_tuple_assignment():
    """`x, y = iterator.get_next()`: the trace holds each step's batch as
    inputs IteratorGetNext:0 and :1; the converter reads them as the
    script's x and y."""
    script = SCRIPT + "x, target = iterator.get_next()\n"
    batch = {**op("IteratorGetNext", "IteratorGetNext", ["OneShotIterator:0"], line="s.py:15"),
             "shapes": [[-1, 3], [-1, 3]]}
    graph_ops = [batch] + described_after_input("IteratorGetNext:0")
    cut = fed_as_inputs(graph_ops, ["IteratorGetNext:0", "IteratorGetNext:1"], ["Mean:0"])
    assert cut[0]["type"] == "Placeholder" and cut[0]["inputs"] == []
    assert cut[0]["attributes"] == {"iterator": "IteratorGetNext"}
    built_program = program.build(Graph(cut, script), MANIFEST, "s.py")
    assert built_program.placeholders == {"IteratorGetNext:0": "x",
                                          "IteratorGetNext:1": "target"}
    assert list(built_program.inputs.values()) == ["x"]


def test_a_tf_losses_call_is_written_as_the_script_called_it():
    """tf1-run records each tf.losses call's tensors and Python arguments
    (tf1kit/run/losses.py); the rewrite calls the same function with them,
    whatever ops its reduction built."""
    from tf1kit.convert.expressions import Writer, unwritable
    graph = Graph([op("labels", "Placeholder", line="s.py:2"),
                   op("predictions", "Placeholder", line="s.py:2"),
                   op("huber_loss/Sub", "Sub", ["predictions:0", "labels:0"], line="s.py:3"),
                   op("huber_loss/value", "SomethingNew", ["huber_loss/Sub:0"], shape=(),
                      line="s.py:3")], SCRIPT)
    graph.loss_calls = {"huber_loss/value:0": {
        "function": "huber_loss", "line": "s.py:3",
        "tensors": {"labels": "labels:0", "predictions": "predictions:0"},
        "arguments": {"delta": 0.5, "reduction": "weighted_mean"}}}
    writer = Writer(graph, {"labels:0": "y", "predictions:0": "output"})
    assert writer.expression("huber_loss/value:0") == (
        'tf.compat.v1.losses.huber_loss(labels=y, predictions=output, delta=0.5, '
        'reduction="weighted_mean")')
    assert unwritable(graph, set()) == []  # its ops are the call's
    graph.loss_calls = {}  # without the record: the op no expression writes is refused
    assert [found.type for found in unwritable(graph, set())] == ["SomethingNew"]


def test_read_data_sets_images_reshaped_by_the_script_are_read_in_the_fed_shape():
    """A script that fed `mnist.train.images.reshape(-1, 28, 28, 1)`'s
    slices: the rewrite's read_mnist serves the training split in that
    shape, the same values as the flat rows."""
    import os

    from tf1kit.convert import emit_data
    from tf1kit.convert.prove import training_split
    from tests.helpers import REPO_ROOT
    sample = os.path.join(REPO_ROOT, "data", "mnist_sample")
    texts = {}
    for shape in (None, [28, 28, 1]):
        out = Source()
        emit_data.read_mnist(out, None, setting(one_hot=True, validation_size=1000,
                                                images_shape=shape))
        namespace = {"np": np, "gzip": __import__("gzip"), "os": os, "VALIDATION_SIZE": 1000}
        exec(out.text(), namespace)  # noqa: S102 (the text written above)
        texts[str(shape)] = out.text()
        images, labels = namespace["read_mnist"](sample)
        flat, digits = training_split(sample, 1000)
        assert images.shape == (len(flat), *(shape or [784]))
        np.testing.assert_array_equal(images.reshape(len(flat), 784), flat)
        np.testing.assert_array_equal(labels.argmax(1), digits)
    assert "reshape(-1, 28, 28, 1)" in texts["[28, 28, 1]"] and \
        "reshape(-1, 28, 28, 1)" not in texts["None"]


TIED = """\
import tensorflow as tf
X = tf.placeholder("float", [None, 3])
W = tf.Variable(tf.random_normal([3, 2]))
W_prime = tf.transpose(W)
b_prime = tf.Variable(tf.zeros([3]))
Y = tf.nn.sigmoid(tf.matmul(X, W))
Z = tf.nn.sigmoid(tf.matmul(Y, W_prime) + b_prime)
cost = tf.reduce_mean(tf.pow(X - Z, 2))
"""


def tied_graph(encoder=True):
    """TIED's graph; without `encoder`, W is read transposed only."""
    ops = [op("Placeholder", "Placeholder", line="s.py:2"),
           op("W/read", "VariableRead", shape=(3, 2), line="s.py:3", variable="W"),
           op("perm", "Const", shape=(2,), line="s.py:4", value=[1, 0]),
           op("transpose", "Transpose", ["W/read:0", "perm:0"], shape=(2, 3), line="s.py:4"),
           op("b_prime/read", "VariableRead", shape=(3,), line="s.py:5", variable="b_prime")]
    if encoder:
        ops += [op("MatMul", "MatMul", ["Placeholder:0", "W/read:0"], shape=(-1, 2),
                   line="s.py:6"),
                op("Sigmoid", "Sigmoid", ["MatMul:0"], shape=(-1, 2), line="s.py:6")]
    hidden = "Sigmoid:0" if encoder else "Placeholder:0"
    ops += [op("MatMul_1", "MatMul", [hidden, "transpose:0"], line="s.py:7"),
            op("add", "AddV2", ["MatMul_1:0", "b_prime/read:0"], line="s.py:7"),
            op("Sigmoid_1", "Sigmoid", ["add:0"], line="s.py:7"),
            op("sub", "Sub", ["Placeholder:0", "Sigmoid_1:0"], line="s.py:8"),
            op("Pow/y", "Const", shape=(), line="s.py:8", value=2.0),
            op("Pow", "Pow", ["sub:0", "Pow/y:0"], line="s.py:8"),
            op("Const", "Const", shape=(2,), line="s.py:8", value=[0, 1]),
            op("Mean", "Mean", ["Pow:0", "Const:0"], shape=(), line="s.py:8",
               attributes={"keep_dims": False})]
    return Graph(ops, TIED)


@pytest.mark.parametrize("exact,bias", [(True, ""), (False, "bias_add=True, ")])
def test_a_transposed_kernel_is_a_tied_dense_reading_the_encoders(exact, bias):
    """A tied-weights decoder: its kernel stays the encoder's one variable,
    its bias its own, added as the script added it in exact mode."""
    manifest = {**MANIFEST, "optimizers": [{**MANIFEST["optimizers"][0], "loss": "Mean:0"}]}
    built_program = program.build(tied_graph(), manifest, "s.py", exact)
    encoder, decoder = built_program.layers
    assert (decoder.kind, decoder.name, decoder.variables) == \
        ("tied_dense", "W_prime", {"bias": "b_prime"})
    assert str(BY_KIND["tied_dense"].layer(decoder, exact, {})) == \
        f'TiedDense(self.W, activation="sigmoid", {bias}name="W_prime")'
    assert encoder.variables == {"kernel": "W"}


def test_a_transposed_weight_no_layer_holds_is_refused_at_its_line():
    manifest = {**MANIFEST, "optimizers": [{**MANIFEST["optimizers"][0], "loss": "Mean:0"}]}
    with pytest.raises(Unsupported, match="no Dense layer before it holds") as refused:
        program.build(tied_graph(encoder=False), manifest, "s.py", True)
    assert "s.py:4" in str(refused.value.lines()[0])


TURNS = """\
import tensorflow as tf
X = tf.placeholder("float", [None, 3])
Z = tf.placeholder("float", [None, 3])
G_W = tf.Variable(tf.random_normal([3, 3]))
D_W = tf.Variable(tf.random_normal([3, 1]))
def discriminator(x):
    D_logit = tf.matmul(x, D_W)
    return tf.nn.sigmoid(D_logit), D_logit
G_sample = tf.matmul(Z, G_W)
D_real, D_logit_real = discriminator(X)
D_fake, D_logit_fake = discriminator(G_sample)
D_loss = tf.reduce_mean(D_logit_real - D_logit_fake)
G_loss = tf.reduce_mean(tf.ones_like(D_logit_fake) - D_logit_fake)
"""


def turns_graph():
    """TURNS's graph: a discriminator applied twice, a loss per optimizer."""
    def d(name, inputs, caller):
        return op(name, "MatMul", inputs, shape=(-1, 1), line="s.py:7",
                  function="discriminator", callers=[caller],
                  attributes={"transpose_a": False, "transpose_b": False})
    mean = {"shape": (), "line": "s.py:12", "attributes": {"keep_dims": False}}
    return Graph([
        op("X", "Placeholder", line="s.py:2"), op("Z", "Placeholder", line="s.py:3"),
        op("G_W/read", "VariableRead", line="s.py:4", variable="G_W"),
        op("D_W/read", "VariableRead", shape=(3, 1), line="s.py:5", variable="D_W"),
        op("MatMul", "MatMul", ["Z:0", "G_W/read:0"], line="s.py:9",
           attributes={"transpose_a": False, "transpose_b": False}),
        d("MatMul_1", ["X:0", "D_W/read:0"], "s.py:10"),
        d("MatMul_2", ["MatMul:0", "D_W/read:0"], "s.py:11"),
        op("sub", "Sub", ["MatMul_1:0", "MatMul_2:0"], shape=(-1, 1), line="s.py:12"),
        op("Const", "Const", shape=(2,), line="s.py:12", value=[0, 1]),
        op("Mean", "Mean", ["sub:0", "Const:0"], **mean),
        op("Shape", "Shape", ["MatMul_2:0"], shape=(2,), line="s.py:13"),
        op("one", "Const", shape=(), line="s.py:13", value=1.0),
        op("ones_like", "Fill", ["Shape:0", "one:0"], shape=(-1, 1), line="s.py:13"),
        op("sub_1", "Sub", ["ones_like:0", "MatMul_2:0"], shape=(-1, 1), line="s.py:13"),
        op("Mean_1", "Mean", ["sub_1:0", "Const:0"], **{**mean, "line": "s.py:13"})], TURNS)


def test_each_optimizer_gets_its_forward_pass_and_a_shared_layer_is_called_again():
    """A GAN's two losses: the first reads both inputs, the second only the
    noise; the discriminator's one set of weights is one layer called
    twice, its outputs named as the caller unpacks them."""
    manifest = {**MANIFEST, "optimizers": [{**MANIFEST["optimizers"][0], "loss": "Mean:0"},
                                           {**MANIFEST["optimizers"][0], "loss": "Mean_1:0"}]}
    first, second = (program.build(turns_graph(), manifest, "s.py", True, index)
                     for index in (0, 1))
    assert [layer.name for layer in first.layers] == ["G_W", "D_W", "D_W"]
    assert first.layers[2].reuses is first.layers[1]  # __init__ makes it once
    assert set(first.inputs.values()) == {"X", "Z"} and set(second.inputs.values()) == {"Z"}
    assert [statement.text for statement in first.body] == \
        ["self.G_W(Z)", "self.D_W(X)", "self.D_W(G_sample)"]
    assert first.output_names == ["D_logit_real", "D_logit_fake"]
    assert [statement.text for statement in second.body] == \
        ["self.G_W(Z)", "self.D_W(G_sample)"]
    assert second.loss.text == "tf.reduce_mean(tf.ones_like(D_logit_fake) - D_logit_fake)"


def test_a_second_call_fed_the_first_calls_labels_is_refused_in_one_line():
    """A conditional GAN's generator call feeds the labels of the batch the
    discriminator's call took: one batch per round, fed to one call, yet."""
    from tf1kit.convert.turns import calls as _steps
    from tf1kit.errors import DataError
    optimizers = [{"line": "s.py:8  d = ...", "variables": []},
                  {"line": "s.py:9  g = ...", "variables": []}]
    feeds = [{"X": "images", "y": "labels", "Z": "drawn"}, {"y": "labels", "Z": "drawn"}]
    with pytest.raises(DataError, match=r"^s\.py:9  g = \.\.\.: its calls feed the labels of "
                                        r"the batch another optimizer's call took"):
        _steps([None, None], optimizers, [(0,), (1,)], (feeds, [{}, {}], [None, None]), None,
               {}, [0, 1])


def test_a_critics_round_of_batches_is_a_loop_over_the_rounds_own_batches():
    """A discriminator trained on three batches of its own for each
    generator step (`for _ in range(d_steps)`): `batches` yields each round's
    three, and main() calls the discriminator's step once for each."""
    import types

    from tf1kit.convert import emit_loop

    def step(name, loss, feeds, batch, loop_tag=None):
        program_ = types.SimpleNamespace(loss_name=loss, dtypes={})
        return {"name": name, "feeds_function": f"{name}_feeds", "feeds": feeds,
                "optimizers": [{"program": program_}], "draws": None, "batch": batch,
                "loop_tag": loop_tag}
    chosen = setting(loop=("STEPS", 4, "s.py:29  for ... in range(4)"), steps=[
        step("D_solver", "D_loss", {"X": "images"}, True, "s.py:30  for ... in range(d_steps)"),
        step("G_solver", "G_loss", {}, False)], round=[0, 0, 0, 1])
    assert emit_loop.round_batches(chosen) == 3
    out = Source()
    emit_loop.batches(out, None, chosen)
    namespace = {"np": np, "STEPS": 4, "BATCH_SIZE": 2, "ROUND_BATCHES": 3}
    exec(out.text(), namespace)
    rounds = list(namespace["batches"](20, 0))
    assert len(rounds) == 4  # STEPS rounds, each of ROUND_BATCHES batches
    for _, indices in rounds:
        assert [len(batch) for batch in indices] == [2, 2, 2]
        assert len(set(np.concatenate(indices).tolist())) == 6  # three other batches
    out = Source()
    emit_loop._turns(out, chosen, "batches(len(images), args.seed)")
    lines = [line.strip() for line in out.text().splitlines()]
    loop = lines.index("for indices in round_indices:")
    assert lines[loop - 1] == "# s.py:30  for ... in range(d_steps)"
    assert lines[loop + 1] == 'losses["D_loss"] = D_solver_step(**D_solver_feeds(images, ' \
        'labels, indices))'
    assert lines[loop + 2] == 'losses["G_loss"] = G_solver_step(**G_solver_feeds())'


def test_a_call_fed_again_what_the_call_before_took_reuses_its_feeds():
    """A conditional GAN: the generator's call is fed the labels and the
    noise the discriminator's call just took (the same arrays). The record
    finds them by their digests; the rewrite keeps the first call's
    feed_dict and hands it to the second's feeds function."""
    import types

    from tf1kit.convert import emit_loop
    from tf1kit.convert.rewrite import _fed_again

    recorded = types.SimpleNamespace(
        calls=[{"fetches": ["d_train"]}, {"fetches": ["g_train"]}, {"fetches": ["d_train"]}],
        steps=[{"call": 0, "digests": {"input X": "x1", "input y": "y1", "input z": "z1"}},
               {"call": 1, "digests": {"input y": "y1", "input z": "z2"}},
               {"call": 2, "digests": {"input X": "x2", "input y": "y1", "input z": "z2"}}])
    assert _fed_again(recorded, 1) == [] and _fed_again(recorded, 2) == ["y"]
    assert _fed_again(recorded, 3) == ["y", "z"]  # other optimizers, the same values

    def step(name, loss, feeds, batch):
        program_ = types.SimpleNamespace(loss_name=loss, dtypes={})
        return {"name": name, "feeds_function": f"{name}_feeds", "feeds": feeds,
                "optimizers": [{"program": program_}], "draws": None, "batch": batch}
    chosen = setting(steps=[step("d", "d_loss", {"X": "images", "y": "labels"}, True),
                            step("g", "g_loss", {"y": "shared"}, False)], round=[0, 1])
    out = Source()
    emit_loop.feeds(out, None, chosen)
    assert 'return {"y": previous_feeds["y"]}' in out.text()
    assert "def g_feeds(previous_feeds):" in out.text()
    out = Source()
    emit_loop._turns(out, chosen, "batches(len(images), args.seed)")
    lines = [line.strip() for line in out.text().splitlines()]
    keep = lines.index("previous_feeds = d_feeds(images, labels, indices)")
    assert lines[keep + 1:keep + 3] == ['losses["d_loss"] = d_step(**previous_feeds)',
                                        'losses["g_loss"] = g_step(**g_feeds(previous_feeds))']


def test_batches_fed_to_two_kinds_of_call_are_refused_in_one_line():
    from tf1kit.convert.turns import calls as _steps
    from tf1kit.errors import DataError
    with pytest.raises(DataError, match=r"feeds 2 batches of images to 2 kinds of calls: "
                                        r"tf1-convert writes one kind of call taking batches"):
        _steps([None, None], [{}, {}], [(0,), (1,)],
               ([{"X": "images"}, {"X": "images"}], [{}, {}], [None, None]), None, {}, [0, 1])


@pytest.mark.parametrize("taken,calls,cycle", [
    ([(0,), (1,)] * 3, [(0,), (1,)], [0, 1]),              # D's call, then G's
    ([(0,), (0,), (1,)] * 2 + [(0,)], [(0,), (1,)], [0, 0, 1]),  # two D calls a round, cut
    ([(0, 1)] * 4, [(0, 1)], [0]),                          # both in one Session.run
])
def test_the_turns_of_several_optimizers_are_read_from_the_steps(taken, calls, cycle):
    from tf1kit.convert.turns import cycle as _cycle
    assert _cycle(taken, 2) == (calls, cycle)


@pytest.mark.parametrize("taken", [[(1,), (0,)] * 2, [(0,), (1,), (1,), (1,)],
                                   [(0,), ()]])
def test_turns_that_do_not_repeat_from_the_first_optimizer_are_refused(taken):
    from tf1kit.convert.turns import cycle as _cycle
    from tf1kit.errors import DataError
    with pytest.raises(DataError):
        _cycle(taken, 2)


def test_weights_written_between_training_steps_are_refused_in_one_line():
    """A write the trace did not see as a clip: the second step starts from
    other weights than the first left; the converter names the call."""
    from tf1kit.convert.weight_clips import between_steps
    from tf1kit.errors import DataError

    class Recorded:
        steps = [{"step": 1, "call": 1, "digests": {"weight W": "a", "weight b": "c"}},
                 {"step": 2, "call": 3, "digests": {"initial W": "z", "initial b": "c"}}]
        calls = [{"fetches": ["init"]}, {"fetches": ["train"]}, {"fetches": ["Assign:0"]},
                 {"fetches": ["train"]}]
    with pytest.raises(DataError, match=r"writes W between training steps 1 and 2 "
                                        r"\(Session\.run of Assign:0: a weight clip\?\)"):
        between_steps(Recorded(), [(0,), (0,)])
    Recorded.calls[2]["clips"] = None  # an assign that is not a clip, described so
    with pytest.raises(DataError, match=r"writes weights after training step 1 \(Session\.run "
                                        r"of Assign:0\), other than by clipping"):
        between_steps(Recorded(), [(0,), (0,)])
    del Recorded.calls[2]["clips"]
    Recorded.steps[1]["digests"]["initial W"] = "a"  # unchanged: no refusal
    assert between_steps(Recorded(), [(0,), (0,)]) == {}


def test_a_weight_clip_after_each_critic_step_is_kept_for_its_kind_of_call():
    """A WGAN: `sess.run(clip_D)` after each critic step, none after the
    generator's; the trace may stop before the last step's clip."""
    from tf1kit.convert.weight_clips import between_steps
    from tf1kit.errors import DataError
    clip = [{"variable": "W", "min": -0.01, "max": 0.01, "line": "s.py:9 clip_D = ..."}]

    class Recorded:
        steps = [{"step": 1, "call": 1, "digests": {"weight W": "a"}},
                 {"step": 2, "call": 3, "digests": {"initial W": "clipped", "weight G": "g"}},
                 {"step": 3, "call": 4, "digests": {"initial W": "clipped"}}]
        calls = [{"fetches": ["init"]}, {"fetches": ["D"]},
                 {"fetches": ["Assign:0"], "clips": clip}, {"fetches": ["G"]},
                 {"fetches": ["D"]}]
    taken = [(0,), (1,), (0,)]
    assert between_steps(Recorded(), taken) == {(0,): clip}
    Recorded.steps.append({"step": 4, "call": 5, "digests": {}})
    Recorded.calls.append({"fetches": ["G"]})  # the third step's D, then no clip
    with pytest.raises(DataError, match=r"training step 3 is followed by another weight clip"):
        between_steps(Recorded(), taken + [(1,)])


def test_weights_written_beside_the_update_are_refused_in_one_line():
    """A WGAN's clip fetched with its train op (`sess.run([D_solver, clip_D])`):
    TF1 ran the clip and the update in no fixed order."""
    from tf1kit.convert.weight_clips import between_steps
    from tf1kit.errors import DataError

    class Recorded:
        steps = [{"step": 1, "call": 1, "digests": {}}]
        calls = [{"fetches": ["init"]}, {"fetches": ["Adam", "Assign:0"], "assigns": True}]
    with pytest.raises(DataError, match=r"training step 1's Session\.run also assigns weights "
                                        r"\(Adam, Assign:0: a weight clip beside the update"):
        between_steps(Recorded(), [(0,)])
    del Recorded.calls[1]["assigns"]
    assert between_steps(Recorded(), [(0,)]) == {}


def test_a_sum_too_wide_for_one_wrapped_call_gets_a_line_per_term():
    out = Source()
    call = "tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like({0}), " \
           "logits={0}))"
    with out.block("def f():"):
        out.expression("return ", call.format("real_logit") + " + " + call.format("fake_logit"))
    lines = out.text().splitlines()
    assert lines[1].startswith("    return (tf.reduce_mean(") and lines[-1].endswith(")))")
    assert [line.lstrip()[:2] for line in lines[2:]].count("+ ") == 1
    assert max(len(line) for line in lines) < 110  # was one line of 213


def cond_dropout(predicate_from="is_training:0") -> list:
    """SCRIPT's graph with `tf.layers.dropout(layer_1, rate=0.25,
    training=is_training)` after its sigmoid, as compat.v1's tf.cond
    builds it (Switch and Merge around the dropout; ops in creation order,
    the Switches made after the ops that read them)."""
    pieces = [op("is_training", "Placeholder", shape=(), line="s.py:2"),
              op("drop/cond/pred_id", "Identity", [predicate_from], shape=()),
              op("drop/cond/dropout/Const", "Const", shape=(), value=4 / 3),
              op("drop/cond/dropout/Mul", "Mul", ["drop/cond/dropout/Mul/Switch:1",
                                                  "drop/cond/dropout/Const:0"]),
              op("drop/cond/dropout/Mul/Switch", "Switch", ["Sigmoid:0", "drop/cond/pred_id:0"]),
              op("drop/cond/dropout/Shape", "Shape", ["drop/cond/dropout/Mul/Switch:1"]),
              op("drop/cond/dropout/RandomUniform", "RandomUniform",
                 ["drop/cond/dropout/Shape:0"]),
              op("drop/cond/dropout/GreaterEqual/y", "Const", shape=(), value=0.25),
              op("drop/cond/dropout/GreaterEqual", "GreaterEqual",
                 ["drop/cond/dropout/RandomUniform:0", "drop/cond/dropout/GreaterEqual/y:0"]),
              op("drop/cond/dropout/Const_1", "Const", shape=(), value=0.0),
              op("drop/cond/dropout/SelectV2", "SelectV2",
                 ["drop/cond/dropout/GreaterEqual:0", "drop/cond/dropout/Mul:0",
                  "drop/cond/dropout/Const_1:0"]),
              op("drop/cond/Identity", "Identity", ["drop/cond/Identity/Switch:0"]),
              op("drop/cond/Identity/Switch", "Switch", ["Sigmoid:0", "drop/cond/pred_id:0"]),
              op("drop/cond/Merge", "Merge", ["drop/cond/Identity:0",
                                              "drop/cond/dropout/SelectV2:0"])]
    graph_ops = described()
    at = [entry["name"] for entry in graph_ops].index("sub")
    graph_ops[at] = dict(graph_ops[at], inputs=["Placeholder:0", "drop/cond/Merge:0"])
    return graph_ops[:at] + pieces + graph_ops[at:]


@pytest.mark.parametrize("fed, kept", [(True, "drop/cond/dropout/SelectV2:0"),
                                       (False, "Sigmoid:0")])
def test_a_cond_the_fed_bool_decides_is_its_taken_branch(fed, kept):
    """`training=is_training` fed one value in every training call: the
    loss reads the branch taken (the dropout, or the input as it is), the
    Switches, the Merge, the branch not taken and the predicate are gone."""
    resolved = taken_branches(cond_dropout(), {"is_training:0": fed}, ["Mean:0"])
    by_name = {entry["name"]: entry for entry in resolved}
    assert by_name["sub"]["inputs"] == ["Placeholder:0", kept]
    assert not {"Switch", "Merge"} & {entry["type"] for entry in resolved}
    assert "is_training" not in by_name and "drop/cond/pred_id" not in by_name
    assert ("drop/cond/dropout/Mul" in by_name) is fed
    if fed:
        assert by_name["drop/cond/dropout/Mul"]["inputs"][0] == "Sigmoid:0"
        layers = lift(Graph(resolved, SCRIPT), {"drop/cond/dropout/RandomUniform":
                                                {"seed": 1, "seed2": 2}})
        assert [layer.kind for layer in layers] == ["dense", "dropout"]


def test_a_cond_the_feeds_do_not_decide_is_left_as_it_is():
    """A predicate computed in the graph (`tf.reduce_mean(x) > 10`): both
    branches stay (tf1-convert refuses the Switch at its line)."""
    graph_ops = cond_dropout("Greater:0")
    graph_ops.insert(0, op("Greater", "Greater", ["Placeholder:0", "Pow/y:0"], shape=()))
    assert taken_branches(graph_ops, {"is_training:0": True}, ["Mean:0"]) == \
        [entry for entry in graph_ops if entry["name"] != "is_training"]


def test_other_authors_rnn_glue_is_written_as_the_same_ops():
    """What scripts put around an RNN: `tf.transpose(outputs, [1, 0, 2])`
    (a copy), `tf.reduce_mean` of a scalar whose axes TF1 built as
    `tf.range(0, rank)` (every axis), and a reshape of a batch of rows into
    a batch of sequences, which changes the batch and so is no Keras
    Reshape layer but the expression."""
    from tf1kit.convert.expressions import Writer
    from tf1kit.convert.specs.reshape import SPEC as RESHAPE
    ops = [op("x", "Placeholder", shape=(-1, 28, 8), line="s.py:2"),
           op("perm", "Const", shape=(3,), value=[1, 0, 2]),
           op("transpose", "Transpose", ["x:0", "perm:0"], shape=(28, -1, 8)),
           op("loss", "Placeholder", shape=(), line="s.py:2"),
           op("Rank", "Const", shape=(), value=0), op("start", "Const", shape=(), value=0),
           op("delta", "Const", shape=(), value=1),
           op("range", "Range", ["start:0", "Rank:0", "delta:0"], shape=(0,)),
           op("Mean", "Mean", ["loss:0", "range:0"], shape=()),
           op("rows", "Placeholder", shape=(-1, 8), line="s.py:2"),
           op("shape", "Const", shape=(3,), value=[-1, 28, 8]),
           op("sequences", "Reshape", ["rows:0", "shape:0"], shape=(-1, 28, 8))]
    graph = Graph(ops, SCRIPT)
    writer = Writer(graph, {"x:0": "x", "loss:0": "loss", "rows:0": "rows"})
    assert writer.expression("transpose:0") == "tf.transpose(x, [1, 0, 2])"
    assert writer.expression("Mean:0") == "tf.reduce_mean(loss)"
    assert RESHAPE.match(graph, graph.by_name["sequences"], {}) is None
    assert writer.expression("sequences:0") == "tf.reshape(rows, [-1, 28, 8])"
    # Negative control: a reshape that keeps the batch is the Keras layer.
    same = Graph([dict(entry, value=[-1, 2, 4]) if entry["name"] == "shape" else entry
                  for entry in ops], SCRIPT)
    assert RESHAPE.match(same, same.by_name["sequences"], {}).kind == "reshape"


def test_a_python_keyword_names_a_layer_with_a_trailing_underscore():
    """`weights['in']`: `in_` (Keras refuses a layer scope starting `_`)."""
    assert [naming.python_name(name) for name in ("in", "lambda", "3x", "h1")] == \
        ["in_", "lambda_", "layer_3x", "h1"]


@pytest.mark.parametrize("values", [[1] + list(range(4, 58, 2)), [None] * 27 + [57],
                                    [3, 9, 2, 5], [None, 4, 6, 8, 10, 13], [2, 2, 2, 2], [5],
                                    [0] * 27 + [1], [1, 0, 0, 0, 0, 7]])
def test_a_static_rnns_seeds_are_written_short_and_read_back_the_same(values):
    """A static RNN's op seed per time step (or a dynamic_partition's
    partitions), as the rewrite writes it: the text evaluates to the same
    list; 28 steps' fit in a short line."""
    text = list_text(values)
    assert eval(text) == values  # noqa: S307 (our own text of ints and Nones)
    if len(values) == 28:  # (written as they come: 120 characters and more)
        assert len(text) < 40, text


@pytest.mark.parametrize("source, lifted", [((-1, 28, 28), "flatten"), ((-1, 7, 4), "reshape"),
                                            ((-1, -1, 128), None), ((-1, 784), "reshape")])
def test_a_reshape_is_a_layer_only_where_it_keeps_the_batch_axis(source, lifted):
    """`tf.reshape(x, [-1, n])` is Keras's Flatten (or Reshape) when x's
    sizes past the first are known and multiply to n: a layer keeps the
    first axis. Of a `[?, ?, 128]` (a time-major partition of an RNN's
    outputs) the first axis is not the batch: written as tf.reshape."""
    from tf1kit.convert.specs.reshape import SPEC
    target = [-1, 784] if source == (-1, 28, 28) else [-1, 4, 7] if source == (-1, 7, 4) \
        else [-1, 128] if source == (-1, -1, 128) else [-1, 28, 28]
    graph = Graph([op("x", "Placeholder", shape=source, line="s.py:2"),
                   op("shape", "Const", shape=(len(target),), value=target),
                   op("Reshape", "Reshape", ["x:0", "shape:0"], shape=target)], "")
    layer = SPEC.match(graph, graph.op("Reshape:0"), {})
    assert (layer.kind if layer else None) == lifted
