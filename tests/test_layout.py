"""One concern per package, no circles: the import graph of the project's
own modules (every import, those inside functions too) has no cycle, no
module imports compare.py, the two implementations never import each
other, the golden-recording code depends on the engine, never the
reverse, and the TF1 kit (tf1kit/) imports nothing of the autoencoder's,
its stages in layers that never import upward."""

import ast
import os
import re

from tests.helpers import REPO_ROOT

PACKAGES = ("common", "legacy", "modern", "parity", "benchmarks", "tools", "tf1kit")
# The kit's layers, lowest first: a module imports from its own layer or a
# lower one, never from a higher one.
KIT_LAYERS = (("tf1kit", "tf1kit.errors", "tf1kit.files", "tf1kit.machine", "tf1kit.cli"),
              ("tf1kit.data", "tf1kit.float32", "tf1kit.trace", "tf1kit.environment"),
              ("tf1kit.run", "tf1kit.keras"),
              ("tf1kit.compare",),
              ("tf1kit.convert",))
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


def kit_layer(module: str) -> int:
    """The layer of a tf1kit module: its longest matching prefix's."""
    found = [(len(prefix), index) for index, prefixes in enumerate(KIT_LAYERS)
             for prefix in prefixes if module == prefix or module.startswith(prefix + ".")]
    return max(found)[1]


def test_the_kit_imports_nothing_of_the_autoencoder():
    graph = import_graph(modules())
    outside = {module: sorted(t for t in targets if not t.startswith("tf1kit"))
               for module, targets in graph.items() if module.startswith("tf1kit")}
    assert {module: targets for module, targets in outside.items() if targets} == {}


def test_the_kit_never_imports_from_a_higher_layer():
    graph = import_graph(modules())
    upward = [(module, target) for module, targets in graph.items()
              if module.startswith("tf1kit") for target in targets
              if kit_layer(target) > kit_layer(module)]
    assert upward == []


def test_a_higher_layer_import_is_found():
    assert kit_layer("tf1kit.convert.cli") > kit_layer("tf1kit.trace.tracefile")
    assert kit_layer("tf1kit.float32.bounds") < kit_layer("tf1kit.compare.verdict")
    assert kit_layer("tf1kit.cli") == 0 and kit_layer("tf1kit.run.cli") == 2


def test_only_the_kit_is_installed():
    """pyproject's packages: tf1kit and its subpackages, no generic top-level name."""
    with open(os.path.join(REPO_ROOT, "pyproject.toml"), encoding="utf-8") as stream:
        text = stream.read()
    found = re.search(r"^\[tool\.setuptools\.packages\.find\]\ninclude = (.*)$", text, re.M)
    assert found is not None and found.group(1) == '["tf1kit*"]'
    assert "[tool.setuptools]\npackages" not in text
