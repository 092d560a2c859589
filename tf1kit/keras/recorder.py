"""Recording a Keras 3 rewrite's training steps in the step-trace format
of tf1kit/trace/tracefile.py, so that `python -m tf1kit.compare ORIGINAL REWRITE`
can find where the rewrite parts from the TF1 script it replaces.

    recorder = StepRecorder(model, optimizer, trace_steps="1-3")  # after the weights are set
    for batch_x, batch_y in batches:
        loss = train_step(batch_x, batch_y)          # your tf.function step
        recorder.record(loss, x=batch_x, y=batch_y)  # the step's inputs, by name
    recorder.write("rewrite.npz")

    model.fit(..., callbacks=[TraceCallback(recorder)])  # fit: one step per call

Several optimizers (a GAN's): `StepRecorder(model, [d, g], var_lists=[d_variables,
g_variables])` and `record(loss, trained=(1,), loss_name=[...])` for a step
of the second (`trained=(0, 1)`, a loss each: one call that ran both); its
gradients and slots are the ones that step's optimizers have, as a TF1
trace keeps them.

The recorder watches `optimizer.apply` (which `apply_gradients` and Keras's
`fit` call) and copies each gradient into a variable of its own before the
update, inside the same compiled step: nothing is computed twice. After
each step it reads the variables and the optimizer's slots (Adam's `m`
and `v`, SGD's `momentum`, RMSprop's `rms` and `momentum`, named as TF1's
optimizers name them; TF1Adam's `beta1_power` and `beta2_power`). Create
it before the step function is first traced, and after the model's
starting weights are set: they are the trace's starting state.
"""

from __future__ import annotations

import functools
import sys

import keras
import numpy as np
import tensorflow as tf

from tf1kit import machine
from tf1kit.trace import tracefile
from tf1kit.keras.random_ops import TF1RandomNormal, TF1RandomOp, draw_key
from tf1kit.keras.rnn import in_while_loop

# Keras optimizer slot lists -> the name TF1's optimizer gives that slot.
SLOT_LISTS = {"Adam": (("_momentums", "m"), ("_velocities", "v")),
              "TF1Adam": (("_momentums", "m"), ("_velocities", "v")),
              "SGD": (("momentums", "momentum"),),
              "RMSprop": (("_velocities", "rms"), ("_momentums", "momentum")),
              # tf1kit/keras/tf1_optimizers.py: TF1's own slot names
              "TF1Momentum": (("_accumulators", "momentum"),),
              "TF1RMSProp": (("_rms", "rms"), ("_moments", "momentum"),
                             ("_mean_gradients", "mg")),
              "TF1Adagrad": (("_accumulators", "accumulator"),)}
NON_SLOTS = (("_beta_1_power", "beta1_power"), ("_beta_2_power", "beta2_power"))
HYPERPARAMETERS = (("learning_rate", "learning_rate"), ("beta_1", "beta1"),
                   ("beta_2", "beta2"), ("epsilon", "epsilon"), ("momentum", "momentum"),
                   ("nesterov", "use_nesterov"), ("rho", "decay"), ("centered", "centered"),
                   ("initial_accumulator_value", "initial_accumulator_value"))


class StepRecorder:
    """The trace of one Keras training run (see the module docstring)."""

    def __init__(self, model, optimizer, trace_steps: str = tracefile.DEFAULT_TRACE_STEPS,
                 seed: int | None = None, data_files: dict | None = None,
                 var_lists: list | None = None):
        """`optimizer`: one, or several taking turns (a GAN's), each over its
        list of `var_lists` (the variables it trains); `record` says which
        one a step ran."""
        several = isinstance(optimizer, (list, tuple))
        self.optimizers = list(optimizer) if several else [optimizer]
        self.model, self.optimizer, self.seed = model, self.optimizers[0], seed
        self.data_files = data_files or {}
        self.variables = list(model.trainable_variables)
        # what a step writes besides the optimizer (a batch norm's moving statistics),
        # traced as "state" (not a random op's stream position, an integer)
        self.states = [variable for variable in model.non_trainable_variables
                       if "float" in str(variable.dtype)]
        self.var_lists = [list(variables) for variables in var_lists] if several \
            else [self.variables]
        for each, variables in zip(self.optimizers, self.var_lists):
            each.build(variables)
        # each optimizer's slots as it last left them (only its own steps change them)
        self._slots = {index: self._slot_values((index,))
                       for index in range(len(self.optimizers))}
        self.log = tracefile.StepLog(tracefile.parse_steps(trace_steps))
        self._gradients = {v.path: tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                           for v in self.variables}
        self._state = self.read_state()
        self._initial = {name: value for (_, name), value in self._state.items()}
        self.losses = []
        self._watch()
        self._draws = self._watch_draws(model)
        self._outputs = self._watch_outputs(model)
        self._counts = {}  # (kind, watched layer) -> its count at the last record

    def _watch(self) -> None:
        for optimizer in self.optimizers:
            self._watch_one(optimizer)

    def _watch_one(self, optimizer) -> None:
        original, shadows = optimizer.apply, self._gradients

        def apply(grads, trainable_variables=None):
            grads = list(grads)
            variables = list(trainable_variables) if trainable_variables is not None \
                else optimizer._trainable_variables
            for gradient, variable in zip(grads, variables):
                if gradient is not None and variable.path in shadows:
                    shadows[variable.path].assign(gradient)
            return original(grads, trainable_variables)
        optimizer.apply = apply

    @staticmethod
    def _watch_draws(model) -> dict:
        """{name: (shadow variable, draw count)} for each TF1RandomOp of the
        model (TF1Dropout, TF1RandomNormal) and each op it stands for (a
        static RNN's steps: random_ops.draw_key): its `draw` also copies the
        values into the shadow and counts, inside the step."""
        shadows = {}
        for layer in model._flatten_layers(include_self=False):
            if not isinstance(layer, TF1RandomOp):
                continue
            slots = {seed2: (tf.Variable(tf.zeros([0]), shape=tf.TensorShape(None),
                                         trainable=False),
                             tf.Variable(0, dtype=tf.int64, trainable=False))
                     for seed2 in layer.step_seeds}
            original = layer.draw

            def draw(shape, position=None, seed2=None, original=original, slots=slots,
                     own=layer.seed_pair[1]):
                values = original(shape, position, seed2)
                shadow, count = slots[own if seed2 is None else seed2]
                shadow.assign(values)
                count.assign_add(1)
                return values
            layer.draw = draw
            shadows.update((draw_key(layer, seed2), slot) for seed2, slot in slots.items())
        return shadows

    def _watch_outputs(self, model) -> dict:
        """{layer: (shadow variable, call count)} for each layer of the model:
        its output is copied into the shadow inside the step (the forward
        activations), in the order the layers are called."""
        shadows, self._call_order, self._looped = {}, [], set()
        for layer in model._flatten_layers(include_self=False):
            if list(layer._flatten_layers(include_self=False)):
                continue  # a container: its layers are watched
            if isinstance(layer, TF1RandomNormal):
                continue  # its draw is kept (kind random); TF1 keeps no activation there
            shadow = tf.Variable(tf.zeros([0]), shape=tf.TensorShape(None), trainable=False)
            count = tf.Variable(0, dtype=tf.int64, trainable=False)
            original = layer.call
            steps = hasattr(layer, "state_size")  # an RNN's cell: its output at every step

            @functools.wraps(original)
            def call(*args, original=original, shadow=shadow, count=count, layer=layer,
                     steps=steps, **kwargs):
                if layer not in self._call_order:  # at tracing: the order of the calls
                    self._call_order.append(layer)
                outputs = original(*args, **kwargs)
                output = outputs[0] if steps and isinstance(outputs, (list, tuple)) else outputs
                if in_while_loop():
                    if not steps:  # a layer inside a cell (a DropoutWrapper's dropout):
                        return outputs  # its last step alone would pair with a wrong tensor
                    self._looped.add(layer)  # a while loop's cell: its first call a probe
                if isinstance(output, tf.Tensor) and output.dtype.is_floating:
                    value = tf.cast(output, tf.float32)
                    if steps:  # stacked on a time axis: [steps, batch, units]
                        value = tf.concat([tf.reshape(shadow, tf.concat(
                            [[-1], tf.shape(value)], 0)), value[None]], 0)
                    shadow.assign(value)
                    count.assign_add(1)
                return outputs
            layer.call, shadows[layer] = call, (shadow, count)
        return shadows

    def slots(self, trained=(0,)) -> dict:
        """{(kind, name): the optimizer's variable} for the slots and
        non-slots of the optimizers `trained` (indices: those a step ran),
        as a TF1 trace keeps them: one non-slot name, the later optimizer's."""
        found = {}
        for optimizer in (self.optimizers[index] for index in trained):
            lists = SLOT_LISTS.get(type(optimizer).__name__, ())
            for attribute, slot in lists:
                values = getattr(optimizer, attribute, None) or []
                for variable, value in zip(optimizer._trainable_variables, values):
                    found[("slot", f"{variable.path}/{slot}")] = value
            for attribute, name in NON_SLOTS:
                if hasattr(optimizer, attribute):
                    found[("slot", name)] = getattr(optimizer, attribute)
        return found

    def _slot_values(self, trained) -> dict:
        return {key: keras.ops.convert_to_numpy(value)
                for key, value in self.slots(trained).items()}

    def weights_written(self) -> None:
        """The model's weights were written between two steps (a WGAN's
        weight clip): the next step starts from them, as a TF1 trace reads
        them anew after such a call."""
        self._state.update({("weight", v.path): keras.ops.convert_to_numpy(v)
                            for v in self.variables})

    def read_state(self, trained=(0,)) -> dict:
        """The weights, the slots of the optimizers `trained` and the state."""
        state = {("weight", v.path): keras.ops.convert_to_numpy(v) for v in self.variables}
        state.update(self._slot_values(trained))
        state.update({("state", v.path): keras.ops.convert_to_numpy(v) for v in self.states})
        return state

    def record(self, loss, trained=(0,), loss_name="loss", **inputs) -> None:
        """Log the step just taken: its loss (named `loss_name`; a loss and
        a name per optimizer where it ran several) and the arrays it was fed
        (and each TF1RandomOp's draw, under the TF1 op name it reproduces);
        `trained`: which of several optimizers it ran (indices)."""
        trained = tuple(np.atleast_1d(trained).tolist())
        before = {key: value for key, value in self._state.items() if key[0] == "weight"}
        for index in trained:  # their slots, as each one's last step left them
            before.update(self._slots[index])
        after = self.read_state(trained)
        for index in trained:  # (one optimizer: the slots just read)
            self._slots[index] = {key: value for key, value in after.items()
                                  if key[0] == "slot"} if len(trained) == 1 \
                else self._slot_values((index,))
        tensors = {("input", name): np.asarray(value) for name, value in inputs.items()}
        tensors.update({("initial", name): value for (_, name), value in before.items()})
        outputs = {layer: self._outputs[layer] for layer in self._call_order}
        for kind, watched in (("random", self._draws), ("activation", outputs)):
            for layer, (shadow, count) in watched.items():
                calls = int(keras.ops.convert_to_numpy(count))
                if calls != self._counts.get((kind, layer), 0):  # it ran in this step
                    name = layer if kind == "random" else layer.name  # (draws: by name)
                    cell = kind == "activation" and hasattr(layer, "state_size")
                    if cell:  # every step's output (tracefile.TIME_STEPS)
                        name = f"{layer.name}{tracefile.TIME_STEPS}"
                    if kind == "random" or len(self.losses) + 1 in self.log.value_steps:
                        value = keras.ops.convert_to_numpy(shadow)
                        # Keras calls a while loop's cell once before the loop, for
                        # its output's shape: that call is no time step
                        tensors[(kind, name)] = \
                            value[1:] if cell and layer in self._looped else value
                    if cell:  # the next step stacks its own
                        shadow.assign(tf.zeros([0]))
                self._counts[(kind, layer)] = calls
        names = [loss_name] if isinstance(loss_name, str) else list(loss_name)
        values = [loss] if len(names) == 1 and not isinstance(loss, (list, tuple)) else loss
        for name, value in zip(names, values):
            tensors[("loss", name)] = \
                np.asarray(keras.ops.convert_to_numpy(value), np.float32).reshape(())
        trained_paths = {variable.path for index in trained
                         for variable in self.var_lists[index]}
        tensors.update({("gradient", name): keras.ops.convert_to_numpy(shadow)
                        for name, shadow in self._gradients.items() if name in trained_paths})
        tensors.update({key: value for key, value in after.items() if key[0] == "slot"})
        tensors.update({key: value for key, value in after.items() if key[0] == "weight"})
        tensors.update({key: value for key, value in after.items() if key[0] == "state"})
        self.losses.append(tensors[("loss", names[0])])
        self.log.add(len(self.losses) - 1, tensors)
        self._state = after

    def describe_optimizer(self, optimizer=None, variables=None) -> dict:
        optimizer = self.optimizer if optimizer is None else optimizer
        config = optimizer.get_config()
        return {"class": type(optimizer).__name__,
                "hyperparameters": {tf1: float(config[keras_name])
                                    if isinstance(config.get(keras_name), (int, float)) else None
                                    for keras_name, tf1 in HYPERPARAMETERS if keras_name in config},
                "variables": [v.path for v in (self.variables if variables is None
                                               else variables)],
                "slots": [slot for _, slot in SLOT_LISTS.get(type(optimizer).__name__, ())]}

    def write(self, path: str) -> None:
        """The trace, all or nothing."""
        calls = [{"index": index, "fetches": ["loss"], "kept": ["loss"], "skipped": {},
                  "feeds": []} for index in range(len(self.losses))]
        manifest = {"format": tracefile.FORMAT, "format_version": tracefile.FORMAT_VERSION,
                    "side": "keras", "script": None, "ended": "completed", "seed": self.seed,
                    "tensorflow": tf.__version__,
                    "environment": {"machine": machine.fingerprint(),
                                    "versions": {"tensorflow": tf.__version__,
                                                 "keras": keras.__version__,
                                                 "numpy": np.__version__},
                                    "threads": _threads(), "backend": keras.backend.backend()},
                    "data_files": self.data_files, "variables_after_call": None,
                    "variables": [{"name": v.path, "shape": list(v.shape)}
                                  for v in self.variables],
                    "optimizers": [self.describe_optimizer(optimizer, variables) for
                                   optimizer, variables in zip(self.optimizers, self.var_lists)],
                    "batch_order": [],
                    "steps": self.log.steps, "values_dropped": self.log.values_dropped,
                    "calls": calls}
        arrays = {**{f"call-{index:06d}/loss": loss for index, loss in enumerate(self.losses)},
                  **{f"variables/{v.path}": self._initial[v.path] for v in self.variables},
                  **self.log.arrays}
        tracefile.write(path, manifest, arrays)
        dropped = tracefile.dropped_line(path, self.log)
        if dropped:
            print(dropped, file=sys.stderr)


def _threads() -> dict:
    """The thread counts TensorFlow runs with (set, else its defaults)."""
    default = machine.default_threads()
    return {"intra_op": tf.config.threading.get_intra_op_parallelism_threads()
            or default["intra_op"],
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads()
            or default["inter_op"]}


class TraceCallback(keras.callbacks.Callback):
    """`model.fit(..., callbacks=[TraceCallback(recorder)])`: one record per
    batch (compile with steps_per_execution=1). fit's inputs are not seen,
    so the trace has no `input` tensors; `loss_key` names the log holding
    the batch's own loss (Keras's "loss" is a running mean over the epoch,
    which a TF1 script's per-step loss is not)."""

    def __init__(self, recorder: StepRecorder, loss_key: str = "loss"):
        super().__init__()
        self.recorder, self.loss_key = recorder, loss_key

    def on_train_batch_end(self, batch, logs=None):
        self.recorder.record((logs or {})[self.loss_key])
