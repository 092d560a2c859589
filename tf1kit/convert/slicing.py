"""Slicing, splitting, gathering and joining ops as the TensorFlow
expressions that build the same op (expressions.Writer writes them):
`x[:, :n]` for StridedSlice, `tf.split`, `tf.unstack`, `tf.gather`,
`tf.slice`, `tf.concat`, `tf.stack`, `tf.dynamic_partition`. Each copies values, so the same op
gives the same bits; their arguments must be constants in the trace."""

from __future__ import annotations

from tf1kit.convert.source import list_text
from tf1kit.trace.graph import output_index

# The op types written here (their attributes: tf1kit/run/activations.py
# ATTRIBUTES). Slice, ConcatV2 and Pack are also compat.v1's shape arithmetic
# around a cross-entropy (expressions.SCAFFOLDING): written only where a
# tensor the rewrite computes needs their values.
TYPES = ("StridedSlice", "Split", "SplitV", "Unpack", "GatherV2", "Slice", "ConcatV2", "Pack",
         "DynamicPartition")


def write(writer, op, tensor: str) -> str | None:
    """The expression for `tensor` (an output of `op`), or None where an
    argument is computed in the graph (the caller refuses it)."""
    graph, index = writer.graph, output_index(tensor)
    constant = graph.constant
    attributes = op.attributes
    if op.type == "StridedSlice":
        parts = [constant(name) for name in op.inputs[1:4]]
        if any(part is None for part in parts):
            return None
        return f"{writer.expression(op.inputs[0], True)}[{_subscript(*parts, attributes)}]"
    if op.type == "Split":  # inputs: axis, value
        axis = constant(op.inputs[0])
        count = attributes.get("num_split")
        if axis is None or count is None:
            return None
        return f"tf.split({writer.expression(op.inputs[1])}, {count}, axis={axis})[{index}]"
    if op.type == "SplitV":  # inputs: value, size_splits, axis
        sizes, axis = constant(op.inputs[1]), constant(op.inputs[2])
        if sizes is None or axis is None:
            return None
        return f"tf.split({writer.expression(op.inputs[0])}, {sizes}, axis={axis})[{index}]"
    if op.type == "Unpack":
        count, axis = attributes.get("num"), attributes.get("axis", 0)
        if count is None:
            return None
        return f"tf.unstack({writer.expression(op.inputs[0])}, num={count}, axis={axis})[{index}]"
    if op.type == "GatherV2":  # inputs: params, indices, axis
        axis = constant(op.inputs[2])
        if axis is None or attributes.get("batch_dims", 0):
            return None
        indices = constant(op.inputs[1])
        indices = repr(indices) if indices is not None else writer.expression(op.inputs[1])
        written = f"tf.gather({writer.expression(op.inputs[0])}, {indices}"
        return written + (f", axis={axis})" if axis else ")")
    if op.type == "Slice":  # inputs: value, begin, size
        begin, size = constant(op.inputs[1]), constant(op.inputs[2])
        if begin is None or size is None:
            return None
        return f"tf.slice({writer.expression(op.inputs[0])}, {begin}, {size})"
    if op.type == "ConcatV2":  # inputs: the values, then the axis
        axis = constant(op.inputs[-1])
        if axis is None:
            return None
        values = ", ".join(writer.expression(name) for name in op.inputs[:-1])
        return f"tf.concat([{values}], {axis})"
    if op.type == "DynamicPartition":  # inputs: data, partitions (a recurrent
        partitions = constant(op.inputs[1])  # layer's last step: [0] * 27 + [1])
        count = attributes.get("num_partitions")
        if partitions is None or count is None or not isinstance(partitions, list):
            return None
        return (f"tf.dynamic_partition({writer.expression(op.inputs[0])}, "
                f"{list_text(partitions)}, {count})[{index}]")
    if op.type == "Pack":
        values = ", ".join(writer.expression(name) for name in op.inputs)
        axis = attributes.get("axis", 0)
        return f"tf.stack([{values}]" + (f", axis={axis})" if axis else ")")
    return None


def _subscript(begin: list, end: list, strides: list, attributes: dict) -> str:
    """The subscript that builds a StridedSlice with these constants and
    masks (Python's slicing of a tensor is how TF1 scripts built one)."""
    masks = {name: attributes.get(f"{name}_mask", 0)
             for name in ("begin", "end", "ellipsis", "new_axis", "shrink_axis")}
    items = []
    for dimension, (start, stop, step) in enumerate(zip(begin, end, strides)):
        bit = 1 << dimension
        if masks["ellipsis"] & bit:
            items.append("...")
        elif masks["new_axis"] & bit:
            items.append("tf.newaxis")
        elif masks["shrink_axis"] & bit:
            items.append(str(start))
        else:
            text = ("" if masks["begin"] & bit else str(start)) + ":" + \
                ("" if masks["end"] & bit else str(stop))
            items.append(text + (f":{step}" if step != 1 else ""))
    return ", ".join(items)
