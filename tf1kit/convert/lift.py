"""A TF1 forward graph lifted to Keras layers: at each op, in the graph's
order, the first construct of specs/ whose pattern matches takes the op
and those after it that it stands for. What no pattern takes stays an op,
written as an expression (tf1kit/convert/expressions.py)."""

from __future__ import annotations

from tf1kit.convert.graph import Graph
from tf1kit.convert.specs import SPECS


def lift(graph: Graph, random_ops: dict) -> list:
    """The layers found, in the graph's order; `random_ops` the trace's
    manifest entries by op name (a dropout's seeds)."""
    layers, claimed = [], set()
    for op in graph.ops:
        if op.name in claimed:
            continue
        layer = next((found for found in (spec.match(graph, op, random_ops) for spec in SPECS)
                      if found is not None), None)
        if layer is not None and not claimed.intersection(layer.ops):
            layers.append(layer)
            claimed.update(layer.ops)
    return layers
