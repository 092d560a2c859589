"""A rewrite whose model fails inside its tf.function: the proof's one line
names the rewrite's line, the script line tagged above it and the error
itself, not the list of arguments Keras appends to the error it wraps."""

from tf1kit.convert import prove

REWRITE_LINES = ["import keras"] * 81 + [
    "        # cnn_raw.py:43  out = tf.add(tf.matmul(fc1, weights['out']), biases['out'])",
    "        out = self.out(fc1)",
]

# What TensorFlow 2.21 and Keras 3.15 raised from a generated rewrite's
# train_step when keep_prob's TensorSpec had no shape (seen 2026-12-07).
KERAS_ERROR = (
    'in user code:\n\n    File "{path}", line 109, in train_step  *\n'
    '        pred = model(X, keep_prob=keep_prob, training=True)\n'
    '    File "/venv/keras/src/utils/traceback_utils.py", line 122, in error_handler  **\n'
    '        raise e.with_traceback(filtered_tb) from None\n'
    '    File "{path}", line 83, in call\n        out = self.out(fc1)\n\n'
    '    ValueError: Exception encountered when calling ConvNet.call().\n    \n'
    '    \x1b[1mas_list() is not defined on an unknown TensorShape.\x1b[0m\n    \n'
    '    Arguments received by ConvNet.call():\n'
    '      • X=tf.Tensor(shape=(None, 784), dtype=float32)\n'
    '      • keep_prob=tf.Tensor(shape=<unknown>, dtype=float32)\n'
    '      • training=True\n')


def test_a_keras_error_inside_a_tf_function_is_named_by_its_message(tmp_path):
    rewrite = tmp_path / "cnn_raw_keras.py"
    rewrite.write_text("\n".join(REWRITE_LINES) + "\n")
    error = ValueError(KERAS_ERROR.format(path=rewrite))
    assert prove.failure(error, str(rewrite), "fails at training step 1") == (
        "FAILED: the rewrite fails at training step 1 at cnn_raw_keras.py:83 "
        "`out = self.out(fc1)` (for cnn_raw.py:43 `out = tf.add(tf.matmul(fc1, "
        "weights['out']), biases['out'])`): ValueError: as_list() is not defined on an "
        "unknown TensorShape.")
