"""tf1kit/keras/recorder.py: a Keras rewrite's steps recorded as a step trace,
from a custom tf.function step and from `fit`, without changing a bit of
the training."""

import keras
import numpy as np
import tensorflow as tf

from tf1kit.keras.recorder import StepRecorder, TraceCallback
from tf1kit.trace import tracefile

STEPS = 3


def model_and_data(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="h"),
                              keras.layers.Dense(2, name="out")], name="toy")
    rng = np.random.default_rng(seed)
    x = rng.random((STEPS, 8, 6)).astype(np.float32)
    y = rng.random((STEPS, 8, 2)).astype(np.float32)
    return model, x, y


def custom_loop(record: bool, path=None, max_value_bytes=None):
    model, x, y = model_and_data()
    optimizer = keras.optimizers.Adam(0.01)
    recorder = StepRecorder(model, optimizer, trace_steps="1-3") if record else None
    if max_value_bytes is not None:
        recorder.log.max_value_bytes = max_value_bytes

    @tf.function
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(inputs) - targets))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, gradients
    for step in range(STEPS):
        loss, gradients = train_step(x[step], y[step])
        if recorder is not None:
            recorder.record(loss, x=x[step], y=y[step])
            recorder.gradients_seen = [g.numpy() for g in gradients]
    if recorder is not None:
        recorder.write(str(path))
    return model, recorder


def test_a_custom_step_is_recorded_with_its_gradients_slots_and_weights(tmp_path):
    model, recorder = custom_loop(True, tmp_path / "rewrite.npz")
    recorded = tracefile.load(str(tmp_path / "rewrite.npz"))
    assert len(recorded.steps) == STEPS and recorded.manifest["side"] == "keras"
    names = [v.path for v in model.trainable_variables]
    assert sorted(recorded.variables) == sorted(names)
    kinds = {key.partition(" ")[0] for key in recorded.steps[0]["digests"]}
    assert kinds == {"input", "initial", "activation", "loss", "gradient", "slot", "weight"}
    # The gradients the recorder copied are those the step computed.
    for name, seen in zip(names, recorder.gradients_seen):
        assert recorded.step_value(STEPS, "gradient", name).tobytes() == seen.tobytes()
    for variable in model.trainable_variables:
        assert recorded.step_value(STEPS, "weight", variable.path).tobytes() == \
            variable.numpy().tobytes()
    assert recorded.step_value(1, "slot", f"{names[0]}/m") is not None


def test_recording_changes_no_bit_of_the_training(tmp_path):
    recorded, _ = custom_loop(True, tmp_path / "rewrite.npz")
    plain, _ = custom_loop(False)
    for a, b in zip(recorded.trainable_variables, plain.trainable_variables):
        assert a.numpy().tobytes() == b.numpy().tobytes()


def test_fit_is_recorded_batch_by_batch(tmp_path):
    model, x, y = model_and_data()
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    model.compile(optimizer=optimizer, loss="mse", steps_per_execution=1)
    recorder = StepRecorder(model, optimizer)
    model.fit(x.reshape(-1, 6), y.reshape(-1, 2), batch_size=8, epochs=1, shuffle=False,
              verbose=0, callbacks=[TraceCallback(recorder)])
    recorder.write(str(tmp_path / "fit.npz"))
    recorded = tracefile.load(str(tmp_path / "fit.npz"))
    assert len(recorded.steps) == STEPS
    digests = recorded.steps[-1]["digests"]
    assert not any(key.startswith("input ") for key in digests)  # fit does not show them
    assert f"slot {model.trainable_variables[0].path}/momentum" in digests
    assert recorded.manifest["optimizers"][0]["hyperparameters"]["momentum"] == 0.9


def test_values_past_the_bound_are_dropped_aloud(tmp_path, capsys):
    # One step's tensors of the toy model (its layers' outputs included) are
    # about 1.6 kB: a 2.5 kB bound keeps step 1's values and drops those of
    # steps 2 and 3.
    _, recorder = custom_loop(True, tmp_path / "rewrite.npz", max_value_bytes=2500)
    recorded = tracefile.load(str(tmp_path / "rewrite.npz"))
    assert recorded.manifest["values_dropped"] == [2, 3]
    assert [step["values"] for step in recorded.steps] == [True, False, False]
    line = capsys.readouterr().err.strip()
    assert line == (f"{tmp_path / 'rewrite.npz'}: the values of steps 2, 3 did not fit the "
                    "trace's 2,500 bytes bound for values and are kept as digests only (trace "
                    "fewer steps' values: --trace-steps, or StepRecorder's trace_steps)")


def test_the_size_is_said_after_the_first_step_with_what_will_not_fit():
    from tf1kit.trace import tracefile
    roomy = tracefile.StepLog(tracefile.parse_steps("1-3"), max_value_bytes=200 << 20)
    assert tracefile.size_line(roomy, 6 << 20) == (
        "one training step's tensors take 6.0 MB: the trace keeps the values of up to 3 "
        "steps, about 18 MB before compression, and every step's digests")
    tight = tracefile.StepLog(tracefile.parse_steps("1-3,100"), max_value_bytes=10 << 20)
    assert tracefile.size_line(tight, 4 << 20).endswith(
        "about 8 MB before compression, and every step's digests; the values of steps past "
        "step 2 will not fit the 10 MB bound and are kept as digests only (trace fewer "
        "steps' values: --trace-steps)")
