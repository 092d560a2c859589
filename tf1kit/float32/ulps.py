"""How far apart two float32 values are, in units in the last place."""

from __future__ import annotations

import numpy as np


def ulp_distance(first, second) -> np.ndarray:
    """Elementwise distance between two float32 arrays in ulps: how many
    representable float32 values lie between them (0 = the same bits;
    0.0 and -0.0 are 0 apart)."""
    def ordered(values):
        bits = np.asarray(values, np.float32).view(np.int32).astype(np.int64)
        return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)
    return np.abs(ordered(first) - ordered(second))
