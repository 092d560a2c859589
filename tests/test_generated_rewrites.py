"""examples/generated/: the CNN worked example's rewrite in each mode, as
tf1-convert writes it, rendered again from the stored record (no
TensorFlow, no data) and compared character for character, so that every
change to the writer shows as a diff of these files. Regenerate with
`python -m tools.generated_rewrites` and review the diff."""

import ast
import os

import pytest

from tests.helpers import REPO_ROOT
from tools import generated_rewrites


def first_difference(expected: str, actual: str) -> str | None:
    """Where two texts first differ, in words (None: the same text)."""
    if expected == actual:
        return None
    for number, (a, b) in enumerate(zip(expected.splitlines(), actual.splitlines()), start=1):
        if a != b:
            return f"line {number}: committed {a!r}, written {b!r}"
    return f"one text is longer: {len(expected.splitlines())} against " \
           f"{len(actual.splitlines())} lines"


@pytest.fixture(scope="module")
def rendered():
    return generated_rewrites.rendered()


@pytest.mark.parametrize("name", sorted(generated_rewrites.OUTPUTS.values()))
def test_the_committed_rewrite_is_what_the_writer_writes(rendered, name):
    with open(os.path.join(generated_rewrites.FOLDER, name), encoding="utf-8") as stream:
        committed = stream.read()
    difference = first_difference(committed, rendered[name])
    assert difference is None, (f"examples/generated/{name}: {difference} (run "
                                "`python -m tools.generated_rewrites` and review the diff)")


def test_a_one_character_change_of_the_output_is_caught(rendered):
    text = rendered["cnn_keras.py"]
    at = text.index("AddBiasDense(128")
    changed = text[:at] + "AddBiasDense(129" + text[at + len("AddBiasDense(128"):]
    assert first_difference(text, changed) == \
        ("line 59: committed '        self.wd1 = AddBiasDense(128, activation=\"relu\", "
         "name=\"wd1\")', written '        self.wd1 = AddBiasDense(129, activation=\"relu\", "
         "name=\"wd1\")'")
    assert first_difference(text, text + "\n") is not None


@pytest.mark.parametrize("mode,name", sorted(generated_rewrites.OUTPUTS.items()))
def test_a_rewrite_imports_tensorflow_keras_and_in_exact_mode_the_faithful_pieces(
        rendered, mode, name):
    tree = ast.parse(rendered[name])
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names} | {node.module for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    kit = {"tf1kit.keras"} if mode == "exact" else set()
    assert modules == {"argparse", "gzip", "os", "keras", "numpy", "tensorflow"} | kit


def test_the_record_names_no_folder_of_the_machine_that_made_it():
    with open(generated_rewrites.RECORD, encoding="utf-8") as stream:
        text = stream.read()
    assert REPO_ROOT not in text and "/tmp/" not in text
