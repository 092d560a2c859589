"""The documentation cannot go stale silently: the README stays a short
manual in the order a reader needs, every relative link of README.md,
MIGRATION.md and docs/ resolves (files, headings, quoted code), and each
package's module map names every module it holds."""

import glob
import os
import re
import subprocess

import pytest

from tests.helpers import REPO_ROOT

# A manual, not a lab notebook: about 200 lines, never past this.
README_MAX_LINES = 250
# The README's sections, in the order a newcomer needs them.
README_SECTIONS = ("Quick start", "What the original does", "Layout", "The comparison",
                   "Golden recordings", "The modern rewrite", "Variants", "Tests",
                   "Documentation")
PAGES = ["README.md", "MIGRATION.md",
         *sorted(os.path.relpath(path, REPO_ROOT)
                 for path in glob.glob(os.path.join(REPO_ROOT, "docs", "*.md")))]
# [text](target) or [text](target "quoted code"), and ![alt](image)
LINK = re.compile(r'\]\(([^)\s]+)(?: "([^"]+)")?\)')
PACKAGES = ("common", "legacy", "modern", "parity", "parity/golden", "benchmarks", "tf1kit",
            "tf1kit/compare", "tf1kit/convert", "tf1kit/data", "tf1kit/float32", "tf1kit/keras",
            "tf1kit/run", "tf1kit/trace")


def read(path: str) -> str:
    with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as stream:
        return stream.read()


def outside_code(text: str) -> str:
    """The text without fenced code blocks (their brackets are not links)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def anchors(text: str) -> set:
    """GitHub's anchors of a page's headings."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", outside_code(text), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_readme_is_short_and_in_the_readers_order():
    text = read("README.md")
    assert len(text.splitlines()) <= README_MAX_LINES
    sections = re.findall(r"^## (.+)$", outside_code(text), re.M)
    assert tuple(sections) == README_SECTIONS


def test_readme_layout_names_every_top_level_entry():
    table = re.search(r"## Layout\n(.*?)\n\n", read("README.md"), re.S).group(1)
    named = set(re.findall(r"`([^`/]+)(?:/[^`]*)?`", table))
    # What a checkout holds, less README.md itself and what runs leave
    # behind (.gitignore's top-level entries).
    left_behind = ("README.md", "comparisons", "MNIST_data", "build")
    entries = {name for name in os.listdir(REPO_ROOT) if not name.startswith((".", "__"))
               and name not in left_behind and not name.endswith((".egg-info", ".png"))}
    assert sorted(entries - named) == []


def test_readme_quick_start_is_the_two_commands():
    block = re.search(r"## Quick start\n.*?```bash\n(.*?)```", read("README.md"), re.S).group(1)
    assert block.splitlines() == ["pip install -r requirements.txt && python compare.py",
                                  "pip install -r requirements.txt && python -m pytest -q"]
    # CI runs the line the README gives, read from the README by .ci/run itself.
    reads = re.search(r"^command=\$\((.*)\)$", read(".ci/run"), re.M).group(1)
    found = subprocess.run(["bash", "-c", reads], cwd=REPO_ROOT, capture_output=True, text=True)
    assert found.stdout.strip() == block.splitlines()[1]
    assert re.search(r'^\. "\$venv/bin/activate"$', read(".ci/run"), re.M)


def broken_links(text: str, folder: str) -> list:
    """Why each relative link of a page in `folder` does not resolve: a
    missing file, a missing heading, a quoted code line no longer there, or
    a pinned line number."""
    broken = []
    for target, quote in LINK.findall(outside_code(text)):
        if re.match(r"^(https?|mailto):", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(folder, path))
        if re.fullmatch(r"L\d+(-L\d+)?", anchor):
            broken.append(f"{target}: pins a line number; quote the code instead")
        elif path and not os.path.exists(os.path.join(REPO_ROOT, resolved)):
            broken.append(f"{target}: no such file")
        elif anchor and path and anchor not in anchors(read(resolved)):
            broken.append(f"{target}: no such heading")
        elif quote and path and quote not in read(resolved):
            broken.append(f"{target}: {quote!r} is no longer there")
    return broken


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    text = read(page)
    assert broken_links(text, os.path.dirname(page)) == []
    for anchor in re.findall(r"\]\(#([^)\s]+)\)", outside_code(text)):
        assert anchor in anchors(text), f"{page}: no heading #{anchor}"


def test_the_guide_links_code_by_quotation():
    links = [quote for target, quote in LINK.findall(outside_code(read("MIGRATION.md")))
             if quote and target.endswith(".py")]
    assert len(links) >= 20


def test_broken_links_are_caught():
    text = ('[a](no_such_file.md) [b](README.md#no-such-heading) '
            '[c](compare.py "def no_such_function") [d](compare.py#L12)')
    assert broken_links(text, "") == [
        "no_such_file.md: no such file", "README.md#no-such-heading: no such heading",
        "compare.py: 'def no_such_function' is no longer there",
        "compare.py#L12: pins a line number; quote the code instead"]


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_map_names_every_module(package):
    docstring = read(os.path.join(package, "__init__.py"))
    modules = sorted(os.path.splitext(name)[0] for name in os.listdir(os.path.join(REPO_ROOT, package))
                     if name.endswith(".py") and name != "__init__.py")
    subpackages = sorted(name for name in os.listdir(os.path.join(REPO_ROOT, package))
                         if os.path.isfile(os.path.join(REPO_ROOT, package, name, "__init__.py")))
    missing = [name for name in modules + subpackages
               if not re.search(rf"`{re.escape(name)}(\.py|/)?`", docstring)]
    assert not missing, f"{package}/__init__.py does not name {missing}"


def test_every_trap_cited_is_in_the_guides_table():
    table = set(re.findall(r"^\| (T\d+) \|", read("MIGRATION.md"), re.M))
    assert len(table) >= 17
    for page in PAGES:
        text = read(page)
        cited = set(re.findall(r"\btraps? (T\d+)\b", text))
        cited |= {f"T{n}" for low, high in re.findall(r"\bT(\d+)-T(\d+)\b", text)
                  for n in range(int(low), int(high) + 1)}
        assert cited <= table, f"{page} cites {sorted(cited - table)}, not in MIGRATION.md"
        ranges = re.findall(r"\bT1-T(\d+)\b", text)
        assert all(int(high) == len(table) for high in ranges), \
            f"{page} speaks of T1-T{ranges}, the guide has {len(table)} traps"


# A generated page: docs/*.json with its .md sibling, docs/errors.md and the
# golden recordings' manifests.
RESULTS = glob.glob(os.path.join(REPO_ROOT, "docs", "*.json"))
GENERATED = sorted(
    [os.path.relpath(path, REPO_ROOT) for path in RESULTS]
    + [os.path.relpath(path[:-5] + ".md", REPO_ROOT) for path in RESULTS
       if os.path.exists(path[:-5] + ".md")]
    + ["docs/errors.md"]
    + [os.path.relpath(path, REPO_ROOT)
       for path in glob.glob(os.path.join(REPO_ROOT, "golden", "*", "*", "manifest.json"))])
ABSOLUTE_PATH = re.compile(r"(?<![\w.~<>/-])(/[\w.-]+(?:/[\w.-]+)+)")


def machine_folders(text: str) -> list:
    """Absolute paths in `text` that end in a path of this checkout (two or
    more folders deep, such as .../data/mnist_sample): a checkout's folder on
    the machine that wrote the text, whatever that machine called it."""
    found = []
    for path in ABSOLUTE_PATH.findall(text):
        parts = path.strip("/").split("/")
        tails = ("/".join(parts[start:]) for start in range(1, len(parts) - 1))
        if REPO_ROOT in path or any(os.path.exists(os.path.join(REPO_ROOT, tail))
                                    for tail in tails):
            found.append(path)
    return found


@pytest.mark.parametrize("page", GENERATED)
def test_generated_pages_name_no_folder_of_the_machine_that_made_them(page):
    assert machine_folders(read(page)) == []


def test_a_checkout_folder_in_a_generated_page_is_caught():
    # Negative control: the line docs/benchmarks.md held before issue 33.
    assert machine_folders("on bundled MNIST sample (/work/main/data/mnist_sample); ") == [
        "/work/main/data/mnist_sample"]
    assert machine_folders(f"IDX folder {REPO_ROOT}/data") == [f"{REPO_ROOT}/data"]
    assert machine_folders("IDX folder /usr/share/datasets/fashion-mnist") == []
