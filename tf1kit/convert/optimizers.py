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


def optimizer_source(entry: dict, exact: bool) -> tuple:
    """(the Keras 3 expression, the tf1kit.keras class it uses or None) for a trace's
    optimizer entry (class, hyperparameters)."""
    known = OPTIMIZERS.get(entry["class"])
    if known is None:
        raise OptimizerUnsupported(entry, "no Keras 3 optimizer for it yet")
    faithful, stock, arguments, defaults = known
    computed = [name for name in ("learning_rate", *arguments)
                if name in entry["hyperparameters"] and entry["hyperparameters"][name] is None]
    if computed or "learning_rate" not in entry["hyperparameters"]:
        raise OptimizerUnsupported(entry, f"its {(computed or ['learning_rate'])[0]} is a "
                                          "tensor (a schedule or a placeholder): tf1-convert "
                                          "writes constant hyperparameters only, yet")
    kind, faithful_class = (faithful, faithful) if exact else (stock, None)
    defaults = FAITHFUL_DEFAULTS.get(kind, defaults)
    given = []
    for tf1_name, keras_name in arguments.items():
        value = entry["hyperparameters"].get(tf1_name)
        if value is None or (keras_name != "learning_rate" and keras_name in defaults
                             and defaults[keras_name] == value):
            continue
        given.append(f"{keras_name}={value!r}")
    return f"{kind}({', '.join(given)})", faithful_class
