"""One concern per package, no circles: the import graph of the project's
own modules (every import, those inside functions too) has no cycle, no
module imports compare.py, the two implementations never import each
other, and the golden-recording code depends on the engine, never the
reverse."""

import ast
import os

from tests.helpers import REPO_ROOT

PACKAGES = ("common", "convert", "legacy", "modern", "parity", "benchmarks", "tools")
# Outside golden/, only the command line's one call may use the recordings.
GOLDEN_USERS = {"parity.comparison"}


def modules() -> dict:
    """{module name: path} of the project's own Python modules."""
    found = {"compare": os.path.join(REPO_ROOT, "compare.py")}
    for package in PACKAGES:
        for folder, _, names in os.walk(os.path.join(REPO_ROOT, package)):
            for name in names:
                if name.endswith(".py"):
                    parts = os.path.relpath(os.path.join(folder, name), REPO_ROOT)[:-3]
                    module = parts.replace(os.sep, ".").removesuffix(".__init__")
                    found[module] = os.path.join(folder, name)
    return found


def import_graph(known: dict) -> dict:
    """{module: set of the project's modules it imports, anywhere in it}."""
    graph = {}
    for module, path in known.items():
        with open(path, encoding="utf-8") as stream:
            tree = ast.parse(stream.read())
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known
                            else node.module for alias in node.names}
        graph[module] = {target for target in targets if target in known and target != module}
    return graph


def cycles(graph: dict) -> list:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_anywhere():
    assert cycles(import_graph(modules())) == []


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_compare_py():
    graph = import_graph(modules())
    assert [module for module, targets in graph.items() if "compare" in targets] == []


def test_the_implementations_do_not_import_each_other():
    graph = import_graph(modules())
    for module, targets in graph.items():
        side = module.split(".")[0]
        other = {"legacy": "modern", "modern": "legacy"}.get(side)
        if side == "common":
            assert not any(t.startswith(("legacy", "modern", "parity")) for t in targets), module
        elif other:
            assert not any(t.startswith(other) for t in targets), module


def test_the_engine_never_uses_the_recordings():
    graph = import_graph(modules())
    for module, targets in graph.items():
        if module.startswith("parity") and not module.startswith("parity.golden") \
                and module not in GOLDEN_USERS:
            assert not any(t.startswith("parity.golden") for t in targets), module
