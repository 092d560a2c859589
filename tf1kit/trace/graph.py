"""The forward graph a trace's manifest holds ("forward_graph"): the schema
of one op, written by tf1-run (tf1kit/run/activations.describe_graph) and
read by the float64 check of a forward pass (tf1kit/compare/graph_judge.py)
and by tf1-convert (tf1kit/convert/graph.py), with each tensor's consumers."""

from __future__ import annotations

from dataclasses import dataclass, field


# A tf.data iterator's next batch: an input of the training step, as a
# placeholder is (the trace keeps its values; the described graph stops
# there, and tf1-convert reads it as the model's inputs).
ITERATOR_OUTPUTS = ("IteratorGetNext", "IteratorGetNextSync")


@dataclass
class GraphOp:
    """One op of the forward graph, in creation order."""
    name: str
    type: str               # the TF op type; "VariableRead" for a variable's read
    inputs: list            # tensor names "op:index"
    shapes: list            # each output's shape (-1 unknown), None where the rank is
    attributes: dict = field(default_factory=dict)  # those the checks and lifts read
    value: object = None    # a small Const's value (a number or nested list)
    variable: str | None = None  # a VariableRead: the variable's TF1 name
    line: str = ""          # "script.py:N": the innermost script line that made it
    function: str = ""      # the function that line is in ("<module>")
    callers: list = field(default_factory=list)  # the lines that called it, outermost first
    dtype: str | None = None  # a Placeholder's dtype

    def entry(self) -> dict:
        """The op as the manifest stores it: fields left at their default omitted."""
        found = {"name": self.name, "type": self.type, "inputs": self.inputs,
                 "shapes": self.shapes, "attributes": self.attributes}
        found.update({key: value for key, value in (
            ("value", self.value), ("variable", self.variable), ("dtype", self.dtype))
            if value is not None})
        if self.line:  # a script line made it: where, and who called
            found.update(line=self.line, function=self.function, callers=self.callers)
        return found

    @classmethod
    def from_entry(cls, entry: dict) -> "GraphOp":
        return cls(entry["name"], entry["type"], list(entry["inputs"]), entry["shapes"],
                   attributes=entry.get("attributes") or {}, value=entry.get("value"),
                   variable=entry.get("variable"), line=entry.get("line", ""),
                   function=entry.get("function", ""), callers=entry.get("callers") or [],
                   dtype=entry.get("dtype"))

    def rank(self, output: int = 0) -> int | None:
        shape = self.shapes[output] if output < len(self.shapes) else None
        return None if shape is None else len(shape)


def output_index(tensor: str) -> int:
    """Which output of its op a tensor is ("split:1" -> 1; a bare name: 0)."""
    return int(tensor.rsplit(":", 1)[1]) if ":" in tensor else 0


class ForwardGraph:
    """The ops in creation order, by name, and each tensor's consumers."""

    def __init__(self, described: list):
        self.ops = [GraphOp.from_entry(entry) for entry in described]
        self.by_name = {op.name: op for op in self.ops}
        self.consumers = {}
        for op in self.ops:
            for tensor in op.inputs:
                self.consumers.setdefault(tensor, []).append(op)

    def op(self, tensor: str) -> GraphOp:
        """The op that outputs `tensor` ("name:0")."""
        return self.by_name[tensor.rsplit(":", 1)[0]]

    def consumers_of(self, tensor: str) -> list:
        return self.consumers.get(tensor, [])

    def sole_consumer(self, tensor: str) -> GraphOp | None:
        consumers = self.consumers_of(tensor)
        return consumers[0] if len(consumers) == 1 else None

    def constant(self, tensor: str):
        """A Const tensor's value (a number or nested list), else None."""
        op = self.op(tensor)
        return op.value if op.type == "Const" else None

    def variable(self, tensor: str) -> str | None:
        """The TF1 variable a tensor reads, else None."""
        op = self.op(tensor)
        return op.variable if op.type == "VariableRead" else None


def taken_branches(described: list, fed: dict, outputs: list,
                   aliases: dict | None = None) -> list:
    """The forward graph as the training calls ran it where each `tf.cond`
    (v1: Switch and Merge) has a predicate the feeds decide (`fed`: tensor
    -> the value every training call fed it; the cond's `pred_id` an
    Identity of it): a Switch's taken output reads as its data input, the
    branch not taken is dropped, and a Merge's output reads as its live
    input (`tf.layers.dropout(training=is_training)` fed True is its
    dropout); what `outputs` (the losses) no longer read is dropped too.
    Conds decided otherwise, and while loops, are left as they are.
    `aliases`, given, receives each resolved tensor -> the one it reads as."""
    by_name = {entry["name"]: entry for entry in described}

    def decided(tensor: str):
        while tensor not in fed:
            entry = by_name.get(tensor.rsplit(":", 1)[0])
            if entry is None or entry["type"] not in ("Identity", "PlaceholderWithDefault") \
                    or not entry["inputs"]:
                return entry["value"] if entry is not None and entry["type"] == "Const" \
                    and isinstance(entry.get("value"), bool) else None
            tensor = entry["inputs"][0]
        return bool(fed[tensor])

    def switched(tensor: str) -> bool:
        entry = by_name.get(tensor.rsplit(":", 1)[0])
        return entry is not None and entry["type"] == "Switch" and \
            decided(entry["inputs"][1]) is not None

    def needed(tensor: str) -> list:
        entry = by_name.get(tensor.rsplit(":", 1)[0])
        if entry is None:
            return []
        if switched(tensor):
            return entry["inputs"][:1]
        return entry["inputs"]

    def resolved_as(tensor: str):
        entry = by_name.get(tensor.rsplit(":", 1)[0])
        if entry is None:
            return tensor
        if switched(tensor):
            taken = int(decided(entry["inputs"][1]))  # output 1: the true branch's
            return resolved[entry["inputs"][0]] if output_index(tensor) == taken else None
        if entry["type"] == "Identity" and entry["inputs"] and switched(entry["inputs"][0]):
            return resolved[entry["inputs"][0]]  # a branch's output as it came in
        if entry["type"] == "Merge" and output_index(tensor) == 0:
            live = [resolved[item] for item in entry["inputs"] if resolved[item] is not None]
            return live[0] if len(live) == 1 else tensor
        return None if any(resolved[item] is None for item in entry["inputs"]) else tensor

    resolved = {}  # tensor -> the tensor it reads as; None: never computed
    for entry in described:  # depth first, without recursion (graphs run deep)
        stack, visiting = [f"{entry['name']}:0", *entry["inputs"]], set()
        while stack:
            tensor = stack[-1]
            if tensor in resolved:
                stack.pop()
                continue
            pending = [item for item in needed(tensor) if item not in resolved]
            if pending and tensor not in visiting:
                visiting.add(tensor)
                stack.extend(pending)
                continue
            for item in pending:  # a loop's back edge: read as it is
                resolved[item] = item
            resolved[tensor] = resolved_as(tensor)
            stack.pop()
    if aliases is not None:
        aliases.update({tensor: found for tensor, found in resolved.items()
                        if found is not None and found != tensor})
    kept = {}
    for entry in described:
        if entry["type"] in ("Switch", "Merge", "Identity") and \
                resolved[f"{entry['name']}:0"] != f"{entry['name']}:0":
            continue  # resolved: its readers read what it stood for
        inputs = [resolved[tensor] for tensor in entry["inputs"]]
        if None not in inputs:  # else: in a branch not taken
            kept[entry["name"]] = {**entry, "inputs": inputs} \
                if inputs != entry["inputs"] else entry
    read = read_by(kept, outputs)
    return [entry for name, entry in kept.items() if name in read]


def read_by(by_name: dict, outputs: list, cut=()) -> set:
    """The names of the ops (of `by_name`: name -> described entry) that the
    tensors `outputs` are computed from, themselves included; the ops of
    `cut` kept without what they read (fed tensors)."""
    read, stack = set(), [tensor.rsplit(":", 1)[0] for tensor in outputs]
    while stack:
        name = stack.pop()
        if name in read or name not in by_name:
            continue
        read.add(name)
        if name not in cut:
            stack.extend(tensor.rsplit(":", 1)[0] for tensor in by_name[name]["inputs"])
    return read
