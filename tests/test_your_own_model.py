"""docs/your_own_model.md, run as written from a folder outside the
checkout: the kit installed (`pip install -e`, into a virtual environment
that sees this one's packages), a TF1 MLP traced unmodified with `tf1-run`,
its Keras 3 rewrite recorded, and `tf1-trace-compare` saying MATCH for the
faithful rewrite and naming where each trap is born."""

import os
import re
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT, write_synthetic_idx

pytestmark = pytest.mark.slow
PAGE = os.path.join(REPO_ROOT, "docs", "your_own_model.md")
# 5,600 training images: 600 after TF1's 5,000 for validation, 6 steps of
# 100 per epoch, 90 in the script's 15 epochs.
TRAIN_IMAGES = 5600


def block(containing: str) -> str:
    """The page's bash block that holds `containing`."""
    with open(PAGE, encoding="utf-8") as stream:
        blocks = re.findall(r"```bash\n(.*?)```", stream.read(), re.S)
    return next(text for text in blocks if containing in text)


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """(the user's folder, the environment its commands run in, each block's result)."""
    root = tmp_path_factory.mktemp("user")
    venv, work = root / "venv", root / "work"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, capture_output=True, timeout=300)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "--no-deps", "--no-build-isolation", "-e", REPO_ROOT],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    work.mkdir()
    write_synthetic_idx(root / "data", n_train=TRAIN_IMAGES, n_test=100)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", CHECKOUT=REPO_ROOT,
               DATA=str(root / "data"), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("DISPLAY", None)
    results = {}
    for name, marker, strict in (("faithful", "tf1-run --seed 0", True),
                                 ("traps", "--trap stock-dense", False)):
        shell = ["bash", "-euo", "pipefail", "-c"] if strict else ["bash", "-uo", "pipefail",
                                                                    "-c"]
        results[name] = subprocess.run(shell + [block(marker)], cwd=work, env=env,
                                       capture_output=True, text=True, timeout=600)
    return work, env, results


def test_the_faithful_rewrite_matches_the_traced_original(user):
    work, _, results = user
    result = results["faithful"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[run_tf1] --data-dir: reading" in result.stdout
    assert "MATCH: 90 steps, every tensor both traces hold is the same, bit for bit" \
        in result.stdout
    assert (work / "original.npz").exists() and (work / "rewrite.npz").exists()


def test_each_trap_is_found_where_it_is_born(user):
    _, _, results = user
    lines = [line for line in results["traps"].stdout.splitlines()
             if line.startswith("MISMATCH")]
    assert len(lines) == 4, results["traps"].stdout + results["traps"].stderr[-3000:]
    dense, adam, divide, order = lines
    # Stock Dense adds its bias by BiasAdd: a bias gradient is computed another way.
    assert re.match(r"MISMATCH: first difference at step 1: gradient Variable_[345] <-> "
                    r"mlp/(h1|h2|out)/bias", dense), dense
    assert re.match(r"MISMATCH: first difference at step 1: (slot|weight) Variable", adam)
    assert divide.startswith("MISMATCH: first difference at step 1: input Placeholder:0 <-> x")
    assert "the same examples in other arithmetic" in divide
    assert order.startswith("MISMATCH: another batch order at step 1")


def test_the_kit_and_its_commands_work_from_the_users_folder(user):
    work, env, _ = user
    imported = subprocess.run(["python", "-c",
                               "import modern.tracing, parity.trace, legacy.run_tf1; "
                               "print(parity.trace.__file__)"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(REPO_ROOT)
    refused = subprocess.run(["tf1-run", "mlp.py", "--seed", "1"], cwd=work, env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("tf1-run: error: --seed comes after the script's name, "
                                      "so it would go to the script: give run_tf1's flags "
                                      "before mlp.py")
