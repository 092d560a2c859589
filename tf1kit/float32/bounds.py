"""Float32 error bounds: what float32 evaluation of an operation can produce
from given inputs, and the judgement of a value against its float64 twin.

A value is wrong at an element when |float32 value - float64 value|
exceeds the element's bound. The bounds, per element (u = 2^-24, float32's
unit roundoff; docs/numerics.md section 9 derives each):
- a correctly rounded +, -, *, /, sqrt adds at most u times its result (a
  quotient DIVISION_ROUNDINGS: it may be a product by a reciprocal);
- a sum or dot product of n terms: SUM_LAMBDA * sqrt(n) * u times the sum
  of the terms' absolute values (Higham and Mary's probabilistic bound,
  which holds whatever order the kernel sums in), never more than the
  worst case nu/(1-nu) (`sum_gamma`);
- anything: an absolute FLUSHED (a subnormal result flushed to zero);
- sigmoid and pow, not correctly rounded in any library: TRANSCENDENTAL_ULPS
  relative and SIGMOID_ABSOLUTE absolute.
The autoencoder's judge (parity/judge.py), TF1's optimizer kernels
(tf1kit/float32/optimizers.py) and a traced forward pass
(tf1kit/compare/graph_judge.py) all hold values to these.
"""

from __future__ import annotations

import math

import numpy as np

# float32's unit roundoff; a quotient may be a product by a reciprocal (XLA,
# Eigen's packet ops): one rounding more than a correctly rounded one.
U = 2.0 ** -24
DIVISION_ROUNDINGS = 2.0

# Higham and Mary (SIAM J. Sci. Comput. 41(5), 2019), theorem 2.4: a sum of
# n terms is within lambda sqrt(n) u of the sum of absolute values with
# probability at least 1 - 2n exp(-lambda^2 / 2) under independent rounding
# errors: for lambda 8 and n = 200,704 (the loss's sum) below 2e-9.
SUM_LAMBDA = 8.0
# glibc's and Eigen's expf/logf/powf are within 1-3 ulps of the exact value
# (2 ulps = 4u); a few more for a sigmoid built from them.
TRANSCENDENTAL_ULPS = 8.0
# Eigen's and XLA's vectorized logistic: a rational approximation added to
# 0.5 in part of the range, exact to within half an ulp of values near 0.5
# (u / 2) rather than relative to a small result; measured below 0.3u.
SIGMOID_ABSOLUTE = 1.0


# Below float32's smallest normal number a kernel may flush to zero
# (denormals-are-zero in oneDNN and XLA): an absolute error that small is
# allowed anywhere.
FLUSHED = float(np.finfo(np.float32).tiny)


# The bounds count each rounding once (first order): the products of two
# or more roundings (u^2 = 3.6e-15 each) and the float64 evaluation's own
# rounding (1e-16) are covered by widening every bound by this fraction.
SECOND_ORDER = 1e-6


def sum_gamma(n: int) -> float:
    """The relative bound of an n-term dot product or sum (see SUM_LAMBDA):
    never more than the worst case gamma_n = nu / (1 - nu)."""
    worst = n * U / (1 - n * U) if n * U < 1 else math.inf
    return min(worst, SUM_LAMBDA * math.sqrt(n) * U)


def check(kind: str, name: str, value, exact, bound) -> dict:
    """One tensor's judgement: its largest error against its bound."""
    value = np.asarray(value, np.float64)
    error = np.abs(value - exact)
    bound = np.broadcast_to(np.asarray(bound, np.float64) * (1 + SECOND_ORDER) + FLUSHED,
                            error.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(error == 0, 0.0, error / bound)
    ratio = np.where(np.isfinite(value), ratio, np.inf)
    worst = int(np.argmax(ratio)) if ratio.size else 0
    flat = (lambda a: a.reshape(-1)[worst] if a.size else 0.0)
    return {"kind": kind, "tensor": name, "ratio": float(flat(ratio)),
            "error": float(flat(error)), "bound": float(flat(bound)),
            "value": float(flat(value)), "exact": float(flat(np.broadcast_to(exact, error.shape))),
            "element": int(worst)}


def not_judged(kind: str, name: str, why: str) -> dict:
    return {"kind": kind, "tensor": name, "ratio": None, "why": why}


def failures(checks: list) -> list:
    """The checks beyond their bound (or not finite), in dataflow order."""
    return [c for c in checks if c["ratio"] is not None and not c["ratio"] <= 1.0]
