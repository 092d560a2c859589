"""The TensorFlow version matrix as docs/tf_matrix.json, .md and .png
(tools/tf_matrix.py fills the rows)."""

from __future__ import annotations

import datetime
import json
import os

CHECKS = (("tests", "fast tests"), ("compare", "exact parity within the version"),
          ("legacy_golden", "legacy vs golden"), ("modern_golden", "modern vs golden"))


def disk_usage(folder: str) -> int:
    """Bytes under `folder` (symbolic links not followed)."""
    total = 0
    for base, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


def golden_environment() -> str:
    """'TensorFlow 2.21.0, Keras ..., Python ... on <cpu>' from the manifest of
    the golden/sample recording this machine replays."""
    from parity.golden.sets import member_for_this_machine
    golden = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "golden", "sample")
    environment = member_for_this_machine(golden).manifest["environment"]
    versions = environment["versions"]
    return (f"TensorFlow {versions['tensorflow']}, Keras {versions['keras']}, NumPy "
            f"{versions['numpy']}, Python {versions['python']} on "
            f"{environment['machine']['cpu']}")


def key(row: dict) -> tuple:
    return row["python_requested"], tuple(
        int(part) if part.isdigit() else 0 for part in row["tensorflow_requested"].split("."))


def passed(row: dict, check: str) -> bool | None:
    """True/False for a check that ran, None where it did not."""
    result = row.get(check)
    if not result:
        return None
    if check == "tests":
        return result.get("failed") == 0 and result.get("passed", 0) > 0
    return result.get("outcome") in ("match", "equivalent")


def write(prefix: str, rows: list, venvs: str) -> None:
    """Merge `rows` into the table at `prefix` and write all three files."""
    from tf1kit import environment
    path = prefix + ".json"
    merged = {}
    if os.path.exists(path):
        for row in json.load(open(path, encoding="utf-8")).get("rows", []):
            merged[(row["python_requested"], row["tensorflow_requested"])] = row
    for row in rows:
        merged[(row["python_requested"], row["tensorflow_requested"])] = row
    table = {"measured": datetime.date.today().isoformat(),
             "machine": environment.fingerprint(),
             "command": "python -m tools.tf_matrix (tools/tf_matrix.py)",
             "environments_gib": round(disk_usage(venvs) / 2**30, 2),
             "golden": golden_environment(),
             "rows": sorted(merged.values(), key=key)}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(table, stream, indent=1, default=str)
        stream.write("\n")
    with open(prefix + ".md", "w", encoding="utf-8") as stream:
        stream.write(markdown(table))
    figure(table, prefix + ".png")


def _cell(row: dict, check: str) -> str:
    result = row.get(check) or {}
    return result.get("summary", "-").replace("|", "/")


def markdown(table: dict) -> str:
    machine = table["machine"]
    lines = ["# Same seed, another TensorFlow: the version matrix", "",
             f"Measured {table['measured']} on {machine.get('cpu')} ({machine.get('cores')} "
             f"cores; kernel-deciding CPU flags: {', '.join(machine.get('cpu_flags', []))}; "
             f"oneDNN on: {(machine.get('onednn') or {}).get('enabled')}) with "
             f"`{table['command']}`; the environments took {table['environments_gib']} GiB. "
             "Each row: that TensorFlow (and the Keras, NumPy and tf-keras pip resolved with "
             "it) running this checkout. The golden recording (`golden/sample/`) was made "
             f"with {table['golden']}.",
             "", "![the matrix](tf_matrix.png)", "",
             "| Python | TensorFlow | Keras | NumPy | tf-keras | install | fast tests | "
             "exact parity (within) | legacy vs golden | modern vs golden | speed vs legacy "
             "(sample, 3 rounds) | minutes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in table["rows"]:
        versions = row.get("versions") or {}
        lines.append("| " + " | ".join([
            versions.get("python", row["python_requested"]),
            versions.get("tensorflow", row["tensorflow_requested"]),
            versions.get("keras", "-"), versions.get("numpy", "-"), versions.get("tf_keras", "-"),
            row["install"].replace("|", "/"), _cell(row, "tests"), _cell(row, "compare"),
            _cell(row, "legacy_golden"), _cell(row, "modern_golden"), _cell(row, "benchmark"),
            f"{row.get('seconds', 0) / 60:.1f}"]) + " |")
    failures = [(row, row["tests"]["failures"]) for row in table["rows"]
                if (row.get("tests") or {}).get("failures")]
    if failures:
        lines += ["", "Failed tests:", ""]
        for row, names in failures:
            lines.append(f"- Python {row['python_requested']}, TensorFlow "
                         f"{row['tensorflow_requested']}: " + ", ".join(f"`{n}`" for n in names))
    return "\n".join(lines) + "\n"


def figure(table: dict, path: str) -> None:
    """Rows: (Python, TensorFlow); columns: the four checks; green passed,
    red failed, grey not run."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    rows = table["rows"]
    values = [[{True: 2, False: 0, None: 1}[passed(row, check)] for check, _ in CHECKS]
              for row in rows]
    fig, axes = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.6))
    axes.imshow(values or [[1] * len(CHECKS)], cmap=ListedColormap(
        ["#d9534f", "#cccccc", "#5cb85c"]), vmin=0, vmax=2, aspect="auto")
    axes.set_xticks(range(len(CHECKS)), [label for _, label in CHECKS], rotation=20, ha="right")
    axes.set_yticks(range(len(rows)), [
        f"TF {(row.get('versions') or {}).get('tensorflow', row['tensorflow_requested'])}, "
        f"Python {row['python_requested']}" for row in rows])
    for y, row in enumerate(values):
        for x, value in enumerate(row):
            axes.text(x, y, ("FAILS", "not run", "passes")[value], ha="center", va="center",
                      fontsize=9, color="white" if value != 1 else "black")
    axes.set_xticks([x + 0.5 for x in range(len(CHECKS) - 1)], minor=True)
    axes.set_yticks([y + 0.5 for y in range(len(rows) - 1)], minor=True)
    axes.grid(which="minor", color="white", linewidth=2)
    axes.tick_params(which="minor", length=0)
    axes.set_title(f"Same seed, another TensorFlow (golden: {table['golden'].split(',')[0]})\n"
                   "green: passes / bit-identical, red: fails or differs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
