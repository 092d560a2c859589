"""TF1 optimizers as Keras 3 source: in exact mode the faithful optimizer
that runs TF1's own kernel (TF1Adam: MIGRATION.md T5; the others:
tf1kit/keras/tf1_optimizers.py); in idiomatic mode stock Keras with the
script's hyperparameters."""

from __future__ import annotations

from tf1kit.convert.expressions import Unsupported

# TF1 class -> (exact: the faithful class of tf1kit.keras, idiomatic class,
#               {TF1 hyperparameter: Keras argument}, Keras defaults)
OPTIMIZERS = {
    "AdamOptimizer": ("TF1Adam",
                      "keras.optimizers.Adam",
                      {"learning_rate": "learning_rate", "beta1": "beta_1", "beta2": "beta_2",
                       "epsilon": "epsilon"},
                      {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                       "epsilon": None}),
    "GradientDescentOptimizer": ("TF1GradientDescent", "keras.optimizers.SGD",
                                 {"learning_rate": "learning_rate"}, {}),
    "MomentumOptimizer": ("TF1Momentum", "keras.optimizers.SGD",
                          {"learning_rate": "learning_rate", "momentum": "momentum",
                           "use_nesterov": "nesterov"}, {"nesterov": False}),
    "RMSPropOptimizer": ("TF1RMSProp", "keras.optimizers.RMSprop",
                         {"learning_rate": "learning_rate", "decay": "rho",
                          "momentum": "momentum", "epsilon": "epsilon",
                          "centered": "centered"}, {"momentum": 0.0, "centered": False}),
    "AdagradOptimizer": ("TF1Adagrad", "keras.optimizers.Adagrad",
                         {"learning_rate": "learning_rate",
                          "initial_accumulator_value": "initial_accumulator_value"}, {}),
}
# The faithful optimizers' defaults are TF1's (Adam's epsilon 1e-8 where
# stock Adam has 1e-7): a hyperparameter equal to one is left out.
FAITHFUL_DEFAULTS = {"TF1Adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
                     "TF1Momentum": {"nesterov": False},
                     "TF1RMSProp": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-10,
                                    "centered": False},
                     "TF1Adagrad": {"initial_accumulator_value": 0.1}}


class OptimizerUnsupported(Unsupported):
    """An optimizer tf1-convert cannot write in this mode."""

    def __init__(self, entry: dict, why: str):
        Exception.__init__(self, f"{entry['class']} ({entry.get('line') or 'no script line'})"
                                 f": {why}")
        self.op, self.why, self.also = None, why, []


# TF1 schedule -> its stock Keras schedule and that one's arguments, in order.
KERAS_SCHEDULES = {
    "exponential_decay": ("ExponentialDecay", ("learning_rate", "decay_steps", "decay_rate",
                                               "staircase")),
    "inverse_time_decay": ("InverseTimeDecay", ("learning_rate", "decay_steps", "decay_rate",
                                                "staircase")),
    "polynomial_decay": ("PolynomialDecay", ("learning_rate", "decay_steps",
                                             "end_learning_rate", "power", "cycle")),
    "cosine_decay": ("CosineDecay", ("learning_rate", "decay_steps", "alpha")),
    "piecewise_constant": ("PiecewiseConstantDecay", ("boundaries", "values")),
}


def schedule_source(entry: dict) -> tuple | None:
    """(the stock Keras schedule's expression, its tag) for an optimizer entry
    whose learning rate a tf.train schedule computes, else None; refused
    where the proof could not hold. The stock schedules compute TF1's rates
    bit for bit (measured: docs/convert.md), so both modes write them."""
    schedule = entry.get("learning_rate_schedule")
    if schedule is None:
        return None
    function, arguments = schedule["function"], schedule["arguments"]
    tensors = [name for name, value in arguments.items() if value is None]
    if tensors:
        raise OptimizerUnsupported(entry, f"its {function}'s {tensors[0]} is a tensor: "
                                          "tf1-convert writes schedules of numbers only")
    if schedule.get("step") is None or schedule["step"] != entry.get("global_step"):
        raise OptimizerUnsupported(entry, f"its {function} reads a step this optimizer does "
                                          "not advance (apply_gradients' global_step)")
    if function not in KERAS_SCHEDULES:
        raise OptimizerUnsupported(entry, f"no Keras schedule for {function} yet")
    keras_class, order = KERAS_SCHEDULES[function]
    renamed = {"learning_rate": "initial_learning_rate"}
    given = ", ".join(f"{renamed.get(name, name)}={arguments[name]!r}" for name in order
                      if name in arguments)
    return f"keras.optimizers.schedules.{keras_class}({given})", schedule.get("line", "")


def optimizer_source(entry: dict, exact: bool) -> tuple:
    """(the Keras 3 expression, the tf1kit.keras classes it uses, the schedule
    (expression, tag) its learning rate is or None) for a trace's optimizer
    entry (class, hyperparameters, learning_rate_schedule)."""
    known = OPTIMIZERS.get(entry["class"])
    if known is None:
        raise OptimizerUnsupported(entry, "no Keras 3 optimizer for it yet")
    faithful, stock, arguments, defaults = known
    schedule = schedule_source(entry)
    computed = [name for name in ("learning_rate", *arguments)
                if name in entry["hyperparameters"] and entry["hyperparameters"][name] is None
                and not (name == "learning_rate" and schedule is not None)]
    if computed or "learning_rate" not in entry["hyperparameters"]:
        raise OptimizerUnsupported(entry, f"its {(computed or ['learning_rate'])[0]} is a "
                                          "tensor (a schedule or a placeholder): tf1-convert "
                                          "writes constant hyperparameters only, yet")
    kind = faithful if exact else stock
    classes = {faithful} if exact else set()
    defaults = FAITHFUL_DEFAULTS.get(kind, defaults)
    given = []
    for tf1_name, keras_name in arguments.items():
        value = entry["hyperparameters"].get(tf1_name)
        if keras_name == "learning_rate" and schedule is not None:
            given.append("learning_rate=learning_rate")
            continue
        if value is None or (keras_name != "learning_rate" and keras_name in defaults
                             and defaults[keras_name] == value):
            continue
        given.append(f"{keras_name}={value!r}")
    return f"{kind}({', '.join(given)})", classes, schedule
