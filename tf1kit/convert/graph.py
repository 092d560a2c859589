"""The traced script's forward graph as tf1-convert reads it: the ops of a
trace's manifest (their schema: tf1kit/trace/graph.py) with their
consumers, and names for them from the script's own source (the name a
line assigns, the dict key a variable was made under)."""

from __future__ import annotations

import ast
import re

from tf1kit.trace.graph import ITERATOR_OUTPUTS, ForwardGraph, GraphOp, read_by

# `'h1': tf.Variable(...)` in a dict literal (an item on its own line, or
# `weights = {'out': ...` on one): the key names the variable.
DICT_KEY = re.compile(r"""^\s*(?:[A-Za-z_]\w*\s*=\s*\{\s*)?['"]([A-Za-z_]\w*)['"]\s*:""")
# The names tf.layers, contrib and the tutorials give a layer's variables
# inside its scope: the scope names the layer.
LAYER_VARIABLE_NAMES = ("kernel", "bias", "weights", "biases", "W", "b", "w", "gamma", "beta")


class Graph(ForwardGraph):
    """The forward graph (tf1kit/trace/graph.py) and the script's source."""

    def __init__(self, described: list, source: str):
        super().__init__(described)
        self.loss_calls = {}  # output tensor -> the tf.losses call (program.build sets it)
        self.lines = source.splitlines()
        self._statements = statements(source)
        functions = [node for node in ast.walk(ast.parse(source))
                     if isinstance(node, ast.FunctionDef)]
        self._functions = [(node.name, node.lineno, node.end_lineno) for node in functions]
        # function -> the names its `return a, b` gives back, in order (None: not a name)
        self._returned = {node.name: [item.id if isinstance(item, ast.Name) else None
                                      for item in returned.value.elts]
                          for node in functions for returned in ast.walk(node)
                          if isinstance(returned, ast.Return)
                          and isinstance(returned.value, ast.Tuple)}

    def unpacked_name(self, line: str, caller: str) -> str | None:
        """What the tuple assignment at `caller` (`D_real, D_logit_real =
        discriminator(X)`) names the value the name assigned at `line` (in
        the called function, `D_logit`) becomes, where the function returns
        it in a tuple (`return D_prob, D_logit`); else None."""
        name, targets = self.assigned_name(line), self.assigned_names(caller)
        returned = self._returned.get(self.function_at(line) or "", [])
        if name in returned and len(returned) == len(targets):
            return targets[returned.index(name)]
        return None

    def source(self, line: str) -> str:
        """The text of a script line ("file.py:N"), stripped."""
        number = _number(line)
        return self.lines[number - 1].strip() if 0 < number <= len(self.lines) else ""

    def statement(self, line: str) -> ast.stmt | None:
        return self._statements.get(_number(line))

    def same_statement(self, line: str, other: str) -> bool:
        """Whether two script lines are in one statement (a call over lines)."""
        node = self.statement(line)
        return line == other or (node is not None and node is self.statement(other))

    def statement_line(self, line: str) -> str:
        """`file.py:N` of the first line of the statement at `line`."""
        node = self.statement(line)
        return line if node is None else f"{line.rsplit(':', 1)[0]}:{node.lineno}"

    def statement_text(self, line: str) -> str:
        """The statement at a line, on one line (a call over several lines joined)."""
        node = self.statement(line)
        if node is None:
            return self.source(line)
        text = " ".join(part.strip() for part in
                        self.lines[node.lineno - 1:node.end_lineno])
        return re.sub(r"\(\s+", "(", text)

    def assigned_names(self, line: str) -> list:
        """The names a tuple assignment at `line` assigns, in order
        (`x, y = iterator.get_next()`), else []."""
        node = self.statement(line)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], (ast.Tuple, ast.List)) and \
                all(isinstance(item, ast.Name) for item in node.targets[0].elts):
            return [item.id for item in node.targets[0].elts]
        return []

    def assigned_name(self, line: str) -> str | None:
        """The one name the statement at `line` assigns, else None."""
        node = self.statement(line)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                return targets[0].id
        return None

    def returns(self, line: str) -> bool:
        return isinstance(self.statement(line), ast.Return)

    def variable_name(self, op: GraphOp) -> str | None:
        """What the script calls a variable: the scope it was made in
        (tf.layers' `hidden1/kernel`, a name_scope's `hidden/weights`), its
        scoped name (get_variable's `generator/w1`), its dict key, or the
        name it assigns."""
        if "/" in (op.variable or ""):
            scope, _, last = op.variable.rpartition("/")
            # tf.layers' and contrib's own names say nothing: the scope does;
            # get_variable's own ("generator/w1") says which of the scope's
            return (scope if last in LAYER_VARIABLE_NAMES else op.variable).replace("/", "_")
        found = DICT_KEY.match(self.source(op.line)) if op.line else None
        return found.group(1) if found else self.assigned_name(op.line) if op.line else None

    def function_at(self, line: str) -> str | None:
        """The innermost function the line is in, else None (the module)."""
        number, found = _number(line), None
        for name, start, end in self._functions:
            if start <= number <= end and (found is None or start > found[1]):
                found = (name, start)
        return found[0] if found else None


def fed_as_inputs(described: list, fed: list, losses: list) -> list:
    """The forward graph as the training call ran it: a fed tensor that is
    not a placeholder's (`xs = tf.placeholder(...) / 255.` fed by `{xs: ...}`)
    replaces what computed it, so it becomes a Placeholder of the same
    name and line, and the ops only it read are dropped; a tf.data
    iterator's `get_next()` (whose batches the trace holds) becomes a
    Placeholder of as many outputs."""
    described = [{**entry, "type": "Placeholder", "inputs": [],
                  "attributes": {"iterator": entry["type"]}}
                 if entry["type"] in ITERATOR_OUTPUTS else entry for entry in described]
    by_name = {entry["name"]: entry for entry in described}
    cut = {tensor.rsplit(":", 1)[0] for tensor in fed
           if tensor.endswith(":0") and tensor.rsplit(":", 1)[0] in by_name
           and by_name[tensor.rsplit(":", 1)[0]]["type"] != "Placeholder"}
    if not cut:
        return described
    kept = read_by(by_name, losses, cut)
    return [{**entry, "type": "Placeholder", "inputs": [],
             "attributes": {"fed_over": entry["type"]}}
            if entry["name"] in cut else entry
            for entry in described if entry["name"] in kept]


def _number(line: str) -> int:
    try:
        return int(line.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 0


def statements(source: str) -> dict:
    """Line number -> the innermost simple statement that spans it."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                current = found.get(number)
                if current is None or node.end_lineno - node.lineno < \
                        current.end_lineno - current.lineno:
                    found[number] = node
    return found

