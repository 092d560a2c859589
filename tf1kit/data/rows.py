"""Finding a fed batch's rows among a data set's images, bit for bit, for a
trace's batch order (input_data.DataSet, keras_arrays.KerasTrainSet).
Importing this module imports no TensorFlow."""

from __future__ import annotations

import numpy as np


class RowIndex:
    """The positions of `images`' rows by their bits, built at the first
    lookup (a script that feeds `next_batch`'s batches never needs it)."""

    def __init__(self, images: np.ndarray):
        self._images, self._rows = images, None

    def positions(self, rows) -> list | None:
        """The position of each of `rows` in the images, equal bit for bit
        (a duplicate image: the one that continues the slice, else the
        first), or None where one is not found."""
        if self._rows is None:
            self._rows = {}
            for position, row in enumerate(self._images):
                self._rows.setdefault(hash(row.tobytes()), []).append(position)
        found, previous = [], -1
        for row in rows:
            candidates = [position for position in self._rows.get(hash(row.tobytes()), ())
                          if np.array_equal(self._images[position], row)]
            if not candidates:
                return None
            position = previous + 1 if previous + 1 in candidates else candidates[0]
            found.append(position)
            previous = position
        return found
