"""The float64 check of a traced TF1 forward pass: each activation and the
loss of a step, on each side, re-evaluated in float64 from that side's own
recorded inputs (the activations before it, its starting weights, its
random draws, the fed arrays) along the graph the trace describes
(tf1kit/run/activations.describe_graph), and held to its float32 error bound
(tf1kit/float32/bounds.py's rule; docs/numerics.md section 9).

Bounds, first order, per op: a matmul or convolution of n terms
`sum_gamma(n) * (|x| * |w|)` plus the bounds it inherits; an add, subtract
or multiply one rounding of the result; a quotient DIVISION_ROUNDINGS;
relu, max pooling, reshapes and selections none of their own (they pass an
inherited bound on); sigmoid, tanh, softmax and softmax cross-entropy a
library allowance (TRANSCENDENTAL_ULPS) plus what their slope passes on; a
mean or sum `sum_gamma(n)` of its absolute terms. An op not listed here is
not judged, and says so.
"""

from __future__ import annotations

import numpy as np

from tf1kit.trace.graph import ForwardGraph
from tf1kit.float32.bounds import (DIVISION_ROUNDINGS, FLUSHED, SIGMOID_ABSOLUTE,
                                   TRANSCENDENTAL_ULPS, U, check, not_judged, sum_gamma)


class NotJudged(Exception):
    """An op the float64 check does not know."""


def _windows(x, ksize, strides, padding, fill):
    """[N, H', W', kh, kw, C] windows of an NHWC array, TF's SAME/VALID padding."""
    _, height, width, _ = x.shape
    kh, kw, sh, sw = ksize[1], ksize[2], strides[1], strides[2]
    if padding == "SAME":
        out_h, out_w = -(-height // sh), -(-width // sw)
        pad_h = max((out_h - 1) * sh + kh - height, 0)
        pad_w = max((out_w - 1) * sw + kw - width, 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2),
                       (pad_w // 2, pad_w - pad_w // 2), (0, 0)), constant_values=fill)
    elif padding != "VALID":
        raise NotJudged(f"padding {padding}")
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return windows[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)


def _conv(x, kernel, attributes):
    if attributes.get("data_format", "NHWC") != "NHWC" or \
            any(d != 1 for d in attributes.get("dilations", [1, 1, 1, 1])):
        raise NotJudged("Conv2D other than NHWC without dilation")
    kh, kw = kernel.shape[:2]
    patches = _windows(x, [1, kh, kw, 1], attributes["strides"], attributes["padding"], 0.0)
    return np.einsum("nhwijc,ijco->nhwo", patches, kernel, optimize=True)


def _pool(x, attributes, kind):
    if attributes.get("data_format", "NHWC") != "NHWC":
        raise NotJudged(f"{kind} other than NHWC")
    fill = -np.inf if kind == "max" else np.nan
    windows = _windows(x, attributes["ksize"], attributes["strides"], attributes["padding"],
                       fill)
    return windows.max(axis=(3, 4)) if kind == "max" else np.nanmean(windows, axis=(3, 4))


def _row_max(bound, shape):
    bound = np.broadcast_to(bound, shape)
    return bound.max(axis=-1, keepdims=True) if bound.ndim else bound


class Evaluator:
    """Tensors of the described graph in float64, each with its bound,
    from `sources` ({tensor name: value}, taken as exact)."""

    def __init__(self, graph: list, sources: dict):
        self.ops = ForwardGraph(graph).by_name
        self.sources, self.cache = sources, {}

    def tensor(self, name: str):
        """(value, bound) of a tensor, from the sources where it is one."""
        if name in self.sources:
            return np.asarray(self.sources[name]), 0.0
        op, _, index = name.rpartition(":")
        if op not in self.cache:
            self.cache[op] = self.evaluate(op)
        return self.cache[op][int(index or 0)]

    def evaluate(self, op_name: str) -> list:
        """[(value, bound)] of each output of an op, from its inputs."""
        entry = self.ops.get(op_name)
        if entry is None:
            raise NotJudged(f"{op_name} is not in the traced graph")
        kind, attributes = entry.type, entry.attributes
        if kind == "Const" and entry.value is not None:
            return [(np.asarray(entry.value), 0.0)]
        if kind in ("Const", "Placeholder", "VariableRead") or kind.startswith("Random"):
            raise NotJudged(f"{op_name} ({kind}) has no recorded value on this side")
        inputs = [self.tensor(name) for name in entry.inputs]
        values = [value for value, _ in inputs]
        bounds = [bound for _, bound in inputs]
        if values and all(np.asarray(v).dtype.kind in "biu" for v in values):
            return [(_integer(kind, values, attributes, op_name), 0.0)]
        return _float(kind, values, bounds, attributes, op_name)


def _integer(kind, values, attributes, op_name):
    """Shape arithmetic, exactly."""
    if kind == "Shape":
        return np.asarray(values[0].shape)
    if kind == "Pack":
        return np.stack(values, axis=attributes.get("axis", 0))
    if kind == "ConcatV2":
        return np.concatenate([np.atleast_1d(v) for v in values[:-1]], axis=int(values[-1]))
    if kind == "Slice":
        begin, size = values[1], values[2]
        return values[0][tuple(slice(b, None if s == -1 else b + s)
                               for b, s in zip(begin, size))]
    operations = {"Sub": np.subtract, "Add": np.add, "AddV2": np.add, "Mul": np.multiply,
                  "Prod": lambda x, axis: np.prod(x, axis=tuple(np.atleast_1d(axis)))}
    if kind in operations:
        return operations[kind](*values)
    if kind in ("Identity", "StopGradient"):
        return values[0]
    raise NotJudged(f"{op_name} ({kind}) on integers")


def _float(kind, values, bounds, attributes, op_name) -> list:
    x = np.asarray(values[0], np.float64) if values else None
    e = bounds[0] if bounds else 0.0
    if kind in ("Identity", "StopGradient", "Cast"):
        return [(x, e)]
    if kind == "Shape":
        return [(np.asarray(values[0].shape), 0.0)]
    if kind == "Reshape":
        shape = [int(size) for size in np.atleast_1d(values[1])]
        return [(x.reshape(shape), np.broadcast_to(e, x.shape).reshape(shape))]
    if kind in ("Add", "AddV2", "BiasAdd", "Sub", "Mul", "RealDiv"):
        y, f = np.asarray(values[1], np.float64), bounds[1]
        if kind == "BiasAdd" and attributes.get("data_format", "NHWC") != "NHWC":
            raise NotJudged("BiasAdd other than NHWC")
        if kind in ("Add", "AddV2", "BiasAdd"):
            result = x + y
            return [(result, e + f + U * np.abs(result))]
        if kind == "Sub":
            result = x - y
            return [(result, e + f + U * np.abs(result))]
        if kind == "Mul":
            result = x * y
            return [(result, np.abs(y) * e + np.abs(x) * f + U * np.abs(result))]
        result = x / y
        return [(result, e / np.abs(y) + np.abs(x) * f / y ** 2
                 + DIVISION_ROUNDINGS * U * np.abs(result))]
    if kind in ("MatMul", "Conv2D"):
        w, f = np.asarray(values[1], np.float64), bounds[1]
        if kind == "MatMul":
            x = x.T if attributes.get("transpose_a") else x
            w = w.T if attributes.get("transpose_b") else w
            product = (lambda a, b: a @ b)
            terms = w.shape[0]
        else:
            product = (lambda a, b: _conv(a, b, attributes))
            terms = int(np.prod(w.shape[:3]))
        result = product(x, w)
        magnitude = product(np.abs(x), np.abs(w))
        inherited = product(np.broadcast_to(e, x.shape), np.abs(w)) + \
            product(np.abs(x), np.broadcast_to(f, w.shape))
        return [(result, sum_gamma(terms) * magnitude + inherited)]
    if kind == "Relu":
        return [(np.maximum(x, 0.0), e)]
    if kind == "MaxPool":
        return [(_pool(x, attributes, "max"), _pool(np.broadcast_to(e, x.shape), attributes,
                                                    "max"))]
    if kind == "AvgPool":
        window = attributes["ksize"][1] * attributes["ksize"][2]
        result = _pool(x, attributes, "avg")
        return [(result, _pool(np.broadcast_to(e, x.shape), attributes, "avg")
                 + sum_gamma(window) * _pool(np.abs(x), attributes, "avg"))]
    if kind in ("Sigmoid", "Tanh"):
        result = 0.5 * (1 + np.tanh(0.5 * x)) if kind == "Sigmoid" else np.tanh(x)
        slope = 0.25 if kind == "Sigmoid" else 1.0
        return [(result, slope * e + TRANSCENDENTAL_ULPS * U * np.abs(result)
                 + SIGMOID_ABSOLUTE * U)]
    if kind in ("GreaterEqual", "Greater", "Less", "LessEqual", "Equal"):
        compare = {"GreaterEqual": np.greater_equal, "Greater": np.greater, "Less": np.less,
                   "LessEqual": np.less_equal, "Equal": np.equal}[kind]
        return [(compare(x, np.asarray(values[1], np.float64)), 0.0)]
    if kind in ("SelectV2", "Select"):
        a, b = np.asarray(values[1], np.float64), np.asarray(values[2], np.float64)
        result = np.where(values[0], a, b)
        return [(result, np.where(values[0], bounds[1], bounds[2]) * np.ones_like(result))]
    if kind == "SoftmaxCrossEntropyWithLogits":
        labels = np.asarray(values[1], np.float64)
        shifted = x - x.max(axis=-1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        softmax = np.exp(shifted - log_sum)
        loss = -(labels * (shifted - log_sum)).sum(axis=-1)
        passed = _row_max(e, x.shape)  # |d loss / d logits| <= 1 + sum|labels| per row
        scale = np.abs(labels).sum(axis=-1)
        loss_bound = (1 + scale) * passed[..., 0] + TRANSCENDENTAL_ULPS * U * (
            np.abs(loss) + scale * np.abs(x).max(axis=-1)) + SIGMOID_ABSOLUTE * U
        backprop_bound = 2 * passed + TRANSCENDENTAL_ULPS * U * softmax + SIGMOID_ABSOLUTE * U
        return [(loss, loss_bound), (softmax - labels, backprop_bound)]
    if kind in ("Mean", "Sum"):
        axes = tuple(int(a) for a in np.atleast_1d(values[1]))
        keep = bool(attributes.get("keep_dims", False))
        count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        reduce = np.mean if kind == "Mean" else np.sum
        result = reduce(x, axis=axes, keepdims=keep)
        bound = reduce(np.broadcast_to(e, x.shape), axis=axes, keepdims=keep) + \
            sum_gamma(count + (kind == "Mean")) * reduce(np.abs(x), axis=axes, keepdims=keep)
        return [(result, bound)]
    if kind == "Square":
        return [(x * x, 2 * np.abs(x) * e + U * x * x)]
    raise NotJudged(f"{op_name} ({kind})")


def judge_tensors(graph: list, sources: dict, recorded: dict, kind: str = "activation") -> list:
    """judge.check of each tensor in `recorded` ({tensor name: value}),
    re-evaluated from `sources` with that tensor itself left out of them;
    judge.not_judged where an op on the way is not known."""
    checks = []
    for name, value in recorded.items():
        others = {key: item for key, item in sources.items() if key != name}
        try:
            exact, bound = Evaluator(graph, others).tensor(name)
        except NotJudged as why:
            checks.append(not_judged(kind, name, str(why)))
            continue
        value = np.asarray(value, np.float64)
        if np.shape(exact) != value.shape:
            checks.append(not_judged(kind, name, f"shape {list(np.shape(exact))} re-evaluated, "
                                                 f"{list(value.shape)} recorded"))
            continue
        checks.append(check(kind, name, value, exact, np.asarray(bound) + FLUSHED))
    return checks
