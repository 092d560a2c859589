"""TF1 optimizers as Keras 3 source: in exact mode the faithful optimizer
where stock Keras computes other bits (TF1Adam: MIGRATION.md T5), stock
Keras where it computes TF1's own update; in idiomatic mode stock Keras
with the script's hyperparameters."""

from __future__ import annotations

from convert.expressions import Unsupported

# TF1 class -> (exact: (class, import line) or None, idiomatic class,
#               {TF1 hyperparameter: Keras argument}, Keras defaults)
OPTIMIZERS = {
    "AdamOptimizer": (("TF1Adam", "from modern.optimizers import TF1Adam"),
                      "keras.optimizers.Adam",
                      {"learning_rate": "learning_rate", "beta1": "beta_1", "beta2": "beta_2",
                       "epsilon": "epsilon"},
                      {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                       "epsilon": None}),
    # ApplyGradientDescent's var - lr * grad is what Keras SGD computes.
    "GradientDescentOptimizer": (("keras.optimizers.SGD", None), "keras.optimizers.SGD",
                                 {"learning_rate": "learning_rate"}, {}),
    "MomentumOptimizer": (None, "keras.optimizers.SGD",
                          {"learning_rate": "learning_rate", "momentum": "momentum",
                           "use_nesterov": "nesterov"}, {}),
    "RMSPropOptimizer": (None, "keras.optimizers.RMSprop",
                         {"learning_rate": "learning_rate", "decay": "rho",
                          "momentum": "momentum", "epsilon": "epsilon",
                          "centered": "centered"}, {}),
    "AdagradOptimizer": (None, "keras.optimizers.Adagrad", {"learning_rate": "learning_rate"},
                         {}),
}
# TF1Adam's defaults are TF1's (epsilon 1e-8); stock Adam's epsilon is 1e-7.
FAITHFUL_DEFAULTS = {"TF1Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                 "epsilon": 1e-8}}


class OptimizerUnsupported(Unsupported):
    """An optimizer tf1-convert cannot write in this mode."""

    def __init__(self, entry: dict, why: str):
        Exception.__init__(self, f"{entry['class']} ({entry.get('line') or 'no script line'})"
                                 f": {why}")
        self.op, self.why = None, why


def optimizer_source(entry: dict, exact: bool) -> tuple:
    """(the Keras 3 expression, its import line or None) for a trace's
    optimizer entry (class, hyperparameters)."""
    known = OPTIMIZERS.get(entry["class"])
    if known is None:
        raise OptimizerUnsupported(entry, "no Keras 3 optimizer for it yet")
    faithful, stock, arguments, defaults = known
    if exact and faithful is None:
        raise OptimizerUnsupported(entry, "no faithful Keras 3 optimizer for it yet "
                                          "(--mode idiomatic writes stock Keras)")
    kind, import_line = faithful if exact else (stock, None)
    defaults = FAITHFUL_DEFAULTS.get(kind, defaults)
    given = []
    for tf1_name, keras_name in arguments.items():
        value = entry["hyperparameters"].get(tf1_name)
        if value is None or (keras_name != "learning_rate" and keras_name in defaults
                             and defaults[keras_name] == value):
            continue
        given.append(f"{keras_name}={value!r}")
    return f"{kind}({', '.join(given)})", import_line
