"""The terminal summary of a comparison report: a table a person can read."""

from __future__ import annotations

import os

from common import collapse
from parity import floor


def _number(value, digits=9):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def _variant_lines(report) -> list:
    if "hidden_mean_activation" in report:
        means = ", ".join(f"{value:.3f}" for value in report["hidden_mean_activation"].values())
        return [f"mean hidden activation {report['overall_mean_activation']:.4f} "
                f"(per layer {means})"]
    if "test_cost_corrupted_input" in report:
        return [f"test MSE vs clean images: clean input {report['test_cost_clean_input']:.6f}, "
                f"corrupted input {report['test_cost_corrupted_input']:.6f}"]
    return []


def divergence_line(divergence) -> str | None:
    """One line: where the difference was born, the first tensor, the judge."""
    if divergence is None:
        return None
    loss_step = divergence["loss_step"]
    if divergence["first"] is None:
        return f"first difference: {divergence['verdict']} (losses differ from step {loss_step})"
    first = divergence["first"]
    shape = "x".join(str(size) for size in first["shape"]) or "scalar"
    ulps, count = first["max_ulp_distance"], first["elements_differing"]
    where = f"step {divergence['step']}" if divergence.get("born_within") is None else \
        "steps {}-{}".format(*divergence["born_within"])
    line = (f"first difference: {where} (losses differ from step {loss_step}"
            + ("; found with the recording's traces" if divergence.get("source") else "")
            + f"), {first['kind']} {first['tensor']} ({shape}): "
            + (f"{count} element{'s' if count != 1 else ''} differ{'' if count != 1 else 's'}"
               if count is not None else "its recorded digest differs")
            + (f", max {ulps} ulp" if ulps is not None else ""))
    others = ", ".join(f"{count} {kind}" for kind, count in divergence["others"].items())
    if others:
        line += f"; then {others}"
    if divergence.get("judge") and divergence["step"]:
        line += f"; judge: {divergence['verdict']}"
    elif divergence["step"] == 0:
        line += "; the two sides start from different weights (no common state to judge from)"
    elif divergence.get("verdict"):
        line += f"; {divergence['verdict']}"
    return line


# Both sides train at the same time (parity/sides.py), sharing the cores;
# against a recording only the modern side trains: legacy's column is "-"
# (its run was recorded, not timed here), never a 0.0 that reads as a measurement.
STEPS_ROW = "steps per second (concurrent)"
STEPS_ROW_RECORDED = "steps per second (modern alone)"


def _seed_block(run, timing, baseline, steps_row=STEPS_ROW) -> list:
    legacy, modern, losses, codes = run["legacy"], run["modern"], run["losses"], run["codes"]
    rows = [("final step loss", losses["legacy_final_loss"], losses["modern_final_loss"]),
            ("test cost (MSE)", legacy["test_cost"], modern["test_cost"])]
    for key, name in (("knn_accuracy", "kNN accuracy (k=5, 5-fold)"),
                      ("silhouette", "silhouette (digit labels)"),
                      ("kmeans_ari_vs_labels", "k-means(10) ARI vs labels")):
        rows.append((name, legacy["quality"].get(key), modern["quality"].get(key)))
    rows.append((steps_row, None if steps_row == STEPS_ROW_RECORDED else
                 timing["legacy_steps_per_second"], timing["modern_steps_per_second"]))
    lines = [f"seed {run['seed']}", f"  {'':30s} {'legacy':>16s} {'modern':>16s}"]
    for name, left, right in rows:
        digits = 1 if name == steps_row else (4 if "loss" not in name and "cost" not in name else 9)
        lines.append(f"  {name:30s} {_number(left, digits):>16s} {_number(right, digits):>16s}")
    first = losses["first_differing_step"]
    lines.append(f"  steps compared {losses['steps_compared']}, identical "
                 f"{losses['identical_steps']}, first differing step "
                 f"{first if first is not None else 'none'}, max |dloss| "
                 f"{_number(losses['max_abs_difference'], 3)}, max rel "
                 f"{_number(losses['max_rel_difference'], 3)}")
    if codes.get("finite"):
        lines.append(f"  codes: max |d| {_number(codes['max_abs_difference'], 3)}, Procrustes "
                     f"{_number(codes['procrustes_disparity'], 6)}, centroid Procrustes "
                     f"{_number(codes['centroid_procrustes_disparity'], 6)}, linear CKA "
                     f"{codes['linear_cka']:.6f}, k-means ARI between "
                     f"{codes['kmeans_ari_between']:.4f}")
    else:
        lines.append("  codes: not finite on at least one side")
    explained = divergence_line(run.get("divergence"))
    if explained:
        lines.append(f"  {explained}")
    for side in ("legacy", "modern"):
        for line in _variant_lines(run[side]["variant_report"]):
            lines.append(f"  {side}: {line}")
        if run[side]["failure"]:
            lines.append(f"  {side} stopped: {run[side]['failure']}")
        elif run[side].get("collapsed"):
            lines.append(f"  {side} {collapse.describe(run[side]['test_cost'], baseline)}")
    return lines


def render(report: dict, out: str) -> str:
    """The summary printed at the end of compare.py."""
    perturb = f", perturbation: {report['perturb']}" if report["perturb"] else ""
    variant = report["config"]["variant"]
    settings = ", ".join(f"{k} {v}" for k, v in variant.items() if k != "name")
    lines = [f"compare: {variant['name']} autoencoder{' (' + settings + ')' if settings else ''}: "
             f"legacy (tf.compat.v1 Session) vs modern (Keras 3, {report['mode']}"
             f"{perturb}) on {report['data']['source']}, {report['environment']['device']}, "
             f"{report['config']['total_steps']} steps per side"]
    strategy = report["config"].get("strategy")
    if strategy:
        lines[0] = lines[0].replace(f"{report['mode']}", f"{report['mode']}, "
                                    f"{strategy['name']} x{strategy['replicas']}", 1)
    golden = report.get("recording")
    if golden:
        lines[0] = lines[0].replace("legacy (tf.compat.v1 Session)",
                                    f"legacy recorded {golden['created']} ({golden['folder']})")
        differences = golden["environment_differences"]
        if golden.get("chosen_because"):
            lines.append(f"recording chosen: {golden['chosen_because']}")
        lines.append("environment since the recording: " + ("; ".join(differences)
                                                            if differences else "unchanged"))
        if golden.get("bit_deciding_differences"):
            lines.append("  of which decide the bits: "
                         + "; ".join(golden["bit_deciding_differences"])
                         + " (a bit difference is judged: ROUNDING or MISMATCH)")
    for run, timing in zip(report["runs"], report["timings"]["per_seed"]):
        lines += _seed_block(run, timing, report["data"].get("baseline_test_cost"),
                             STEPS_ROW_RECORDED if golden else STEPS_ROW)
    if report["statistics"]:
        lines.append("across seeds (TOST)           legacy mean+-sd   modern mean+-sd   "
                     "90% interval of modern-legacy  margin    outcome")
        for name, test in report["statistics"].items():
            low, high = test["ci90"]
            lines.append(f"  {name:28s} {test['legacy_mean']:.5f}+-{test['legacy_std']:.5f}  "
                         f"{test['modern_mean']:.5f}+-{test['modern_std']:.5f}  "
                         f"[{low:+.5f}, {high:+.5f}]            +-{test['margin']:.4f}  "
                         f"{test['outcome']}")
    verdict = report["verdict"]
    lines.append(f"verdict: {verdict['outcome'].upper()} ({verdict['standard']})")
    lines += [f"  - {reason}" for reason in verdict["reasons"]]
    if "floor" in report["timings"]:
        lines.append(floor.describe(report["timings"]["floor"]))
    pictures = ", ".join(sorted(name for name in os.listdir(out) if name.endswith(".png")))
    lines.append(f"report: {os.path.join(out, 'report.json')}; plots in {out}: {pictures}")
    return "\n".join(lines)
