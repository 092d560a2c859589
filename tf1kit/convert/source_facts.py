"""What the script's source says that its graph does not: how long it
trains (its epochs or steps constant), and the lines that read the data and
make the optimizer, for the rewrite's tags."""

from __future__ import annotations

import ast

from tf1kit.convert.graph import statements

# Module-level names TF1-era scripts give their loop counts.
EPOCH_NAMES = ("training_epochs", "epochs", "num_epochs", "n_epochs", "EPOCHS", "NUM_EPOCHS")
STEP_NAMES = ("num_steps", "training_steps", "steps", "max_steps", "n_steps", "NUM_STEPS",
              "MAX_STEPS", "iterations")


class SourceFacts:
    def __init__(self, source: str, script: str):
        self.tree, self.lines, self.script = ast.parse(source), source.splitlines(), script
        self._statements = statements(source)  # line -> its innermost simple statement

    def _tag(self, node) -> str:
        text = " ".join(line.strip() for line in self.lines[node.lineno - 1:node.end_lineno])
        return f"{self.script}:{node.lineno}  {text}"

    def _loop_tag(self, node) -> str:
        """A `for` loop's tag: its line and what it iterates."""
        return f"{self.script}:{node.lineno}  for ... in {ast.unparse(node.iter)}"

    def loop(self, traced_steps: int, sliced: bool = False) -> tuple:
        """("EPOCHS" | "STEPS", count, tag) from the script's constant, else
        the steps traced. `sliced`: the script cuts its batches itself, so a
        `for ... in range(N)` around the loop that slices is its epochs."""
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, int):
                name = node.targets[0].id
                if name in EPOCH_NAMES or name in STEP_NAMES:
                    return ("EPOCHS" if name in EPOCH_NAMES else "STEPS", node.value.value,
                            self._tag(node))
        for node in ast.walk(self.tree) if sliced else ():  # epochs around the slicing loop
            count = _range_length(node.iter) if isinstance(node, ast.For) else None
            if count is not None and any(isinstance(inner, ast.For) and _slices_images(inner)
                                         for inner in ast.walk(node) if inner is not node):
                return "EPOCHS", count, self._loop_tag(node)
        for node in ast.walk(self.tree):  # `for i in range(300):` around next_batch
            count = _range_length(node.iter) if isinstance(node, ast.For) else None
            if count is not None and any(isinstance(inner, ast.Attribute)
                                         and inner.attr == "next_batch"
                                         for inner in ast.walk(node)):
                return "STEPS", count, self._loop_tag(node)
        return ("STEPS", traced_steps, "no epochs or steps constant found in the script: "
                                       "the steps traced")

    def round_loop_tag(self) -> str | None:
        """The tag of the innermost `for` loop around a `next_batch` call that
        sits inside another loop (a critic's `for _ in range(d_steps):`), or
        None."""
        found = None
        for outer in ast.walk(self.tree):
            if not isinstance(outer, ast.For):
                continue
            for inner in ast.walk(outer):
                if inner is not outer and isinstance(inner, ast.For) and any(
                        isinstance(node, ast.Attribute) and node.attr == "next_batch"
                        for node in ast.walk(inner)):
                    found = inner  # walked outer to inner: the last is the innermost
        return self._loop_tag(found) if found is not None else None

    def _call(self, ending: str):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr.endswith(ending):
                return node
        return None

    def optimizer_tag(self) -> str:
        node = self._call("Optimizer")
        return self._tag(node) if node is not None else f"{self.script}: its optimizer"

    def optimizers(self, count: int) -> list:
        """[(tag, the name its statement assigns or None)] of the script's
        `count` optimizers, in the order its lines make them (where it
        makes as many; else each tagged with the first one's line)."""
        calls = sorted((node for node in ast.walk(self.tree) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr.endswith("Optimizer")),
                       key=lambda node: (node.lineno, node.col_offset))
        if len(calls) != count:
            return [(self.optimizer_tag(), None)] * count
        found = []
        for call in calls:
            statement = self._statements.get(call.lineno)
            name = statement.targets[0].id if isinstance(statement, ast.Assign) and len(
                statement.targets) == 1 and isinstance(statement.targets[0], ast.Name) else None
            found.append((self._tag(statement if statement is not None else call), name))
        return found

    def index_draw(self) -> dict | None:
        """How the script draws each batch's examples itself, where it calls
        no `next_batch`: `idx = np.random.choice(n, batch_size, replace=False)`
        (or `np.random.randint(0, n, batch_size)`) whose name then indexes
        an array: {"tag", "replace"}; else None."""
        if any(isinstance(node, ast.Attribute) and node.attr == "next_batch"
               for node in ast.walk(self.tree)):
            return None
        indexed = {node.slice.id for node in ast.walk(self.tree)
                   if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name)}
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id in indexed and isinstance(node.value, ast.Call)):
                continue
            called = ast.unparse(node.value.func)
            if called.endswith("random.choice"):
                replace = next((keyword.value for keyword in node.value.keywords
                                if keyword.arg == "replace"), None)
                return {"tag": self._tag(node), "replace": not (
                    isinstance(replace, ast.Constant) and replace.value is False)}
            if called.endswith("random.randint"):
                return {"tag": self._tag(node), "replace": True}
        return None

    def line_tag(self, line: str) -> str:
        """The tag of the statement at `script.py:N` (the line a trace recorded)."""
        try:
            number = int(line.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return line
        node = self._statements.get(number)
        return self._tag(node) if node is not None else line

    def data_tag(self) -> str:
        node = self._call("read_data_sets") or self._call("load_data")
        return self._tag(node) if node is not None else f"{self.script}: its data"


def _slices_images(node) -> bool:
    """Whether `node` holds a subscript of `<...>.images` (`mnist.train.images[a:b]`)."""
    return any(isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Attribute)
               and inner.value.attr == "images" for inner in ast.walk(node))


def _range_length(node) -> int | None:
    """len(range(...)) of a `range` call with number arguments, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "range" and 1 <= len(node.args) <= 2):
        return None
    try:
        bounds = [ast.literal_eval(argument) for argument in node.args]
    except ValueError:
        return None
    if not all(isinstance(bound, int) for bound in bounds):
        return None
    return len(range(*bounds))
