"""The referee of a gradient where a rewrite first parts from its script:
the rewrite's own forward pass and loss evaluated in float64 from the
step's starting weights and inputs (the two sides agree on all of those
when a gradient is the first difference) and differentiated, and each
side's float32 gradient measured against it, in float32 ulps of the
gradient's largest element.

Both sides about as near as each other: the two computed the same
gradient and rounded it another way (an order of summation, a fused
kernel); one side far nearer: they computed other functions, or the farther
one's sum is badly conditioned. It referees; it does not bound (the judge
bounds the forward pass and the optimizer, tf1kit/compare/graph_judge.py).
"""

from __future__ import annotations

import numpy as np

# Two float32 evaluations of one gradient in other orders each err by a few
# ulps of its largest element (a sum of n terms: up to about n ulps, mostly
# far fewer); one side's error this many times the other's (and more than a
# handful of ulps) is not explained by an order of summation.
SAME_COMPUTATION_RATIO = 8
NEAR_ULPS = 4


def float64_gradients(module, model_class, forward: dict, state: tuple, fed: dict,
                      trained: list) -> dict:
    """{variable path: its float64 gradient} of `trained` paths: the model
    built in float64, its weights and random draws the step's (`state`:
    ({path: value}, {draw_key: its draw})), its
    `forward["method"]` called on `fed` (by the inputs' names) and the
    loss `forward["function"]` of `forward["arguments"]` differentiated."""
    import keras
    import tensorflow as tf

    from tf1kit.keras.random_ops import TF1RandomOp, draw_key

    weights, draws = state

    was = keras.config.dtype_policy()  # (a set policy outranks floatx)
    keras.config.set_dtype_policy("float64")
    try:
        model = model_class()
    finally:
        keras.config.set_dtype_policy(was)
    given = {name: tf.constant(np.asarray(value, np.float64))
             if np.asarray(value).dtype.kind == "f" else tf.constant(value)
             for name, value in fed.items()}
    names = forward["inputs"]

    def outputs():
        method = getattr(model, forward["method"]) if forward["method"] else model
        result = method(given[names[0]], **{name: given[name] for name in names[1:]},
                        training=True)
        return result if isinstance(result, (tuple, list)) else [result]
    drawn = {key: tf.constant(np.asarray(value, np.float64)) for key, value in draws.items()}
    for layer in model._flatten_layers(include_self=False):  # each draw the step's, as
        if isinstance(layer, TF1RandomOp) and draw_key(layer) in drawn:  # the trace kept it
            layer.draw = lambda shape, position=None, seed2=None, layer=layer: \
                drawn[draw_key(layer, seed2)]
    outputs()  # builds the layers
    by_path = {variable.path: variable for variable in model.variables}
    for path, value in weights.items():
        by_path[path].assign(np.asarray(value, np.float64).reshape(by_path[path].shape))
    with tf.GradientTape() as tape:
        values = {**given, **dict(zip(forward["outputs"], outputs())), "model": model}
        loss = getattr(module, forward["function"])(*[values[name]
                                                       for name in forward["arguments"]])
    found = tape.gradient(loss, [by_path[path] for path in trained])
    return {path: np.asarray(value, np.float64) for path, value in zip(trained, found)}


def verdict(name: str, original, rewrite, exact) -> str:
    """The referee's line on one gradient: each side's largest error
    against the float64 value, in float32 ulps of the gradient's largest
    element (an element near zero, where terms cancel, has no meaningful
    ulps of its own), and what the two errors say."""
    exact = np.asarray(exact, np.float64)
    scale = float(np.spacing(np.float32(np.abs(exact).max()))) or float(np.spacing(np.float32(1)))
    ours, theirs = (float(np.abs(np.asarray(side, np.float64) - exact).max()) / scale
                    for side in (original, rewrite))
    said = (f"referee (the rewrite's forward pass and loss in float64 from the step's "
            f"starting weights and inputs, differentiated): gradient {name}: the original's "
            f"largest error {ours:.1f} ulp of its largest element, the rewrite's {theirs:.1f}")
    nearer, farther = sorted((ours, theirs))
    if farther <= NEAR_ULPS or farther <= SAME_COMPUTATION_RATIO * max(nearer, 1.0):
        return said + ": both as near, the same gradient rounded another way"
    ratio = f"{farther / max(nearer, 1.0):.0f}x larger, more than an order of summation explains"
    if ours > theirs:  # far from the rewrite's own function
        return said + (f": the original's {ratio}: the rewrite differentiates another "
                       "function than the script (the referee is the rewrite's own), or the "
                       "sum is badly conditioned")
    return said + (f": the rewrite's {ratio}: its float32 gradient is not its own function's "
                   "(a kernel, a custom gradient), or the sum is badly conditioned")
