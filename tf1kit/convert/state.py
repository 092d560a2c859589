"""A batch norm's moving statistics as the training calls ran them, for
tf1-convert's record and render: where each started (`starts`: the
trace's first step), the statistic and rate each update read through the
tf.conds the fed training bool decided (`as_run`), and a refusal for
state the rewrite would not write (`written`)."""

from __future__ import annotations

import numpy as np

from tf1kit.errors import DataError


def starts(recorded) -> dict:
    """{state variable: the one number its starting value holds (else None)}."""
    return {key.partition(" ")[2]: _constant(recorded.step_value(1, "initial",
                                                               key.partition(" ")[2]))
            for key in recorded.steps[0]["digests"] if key.startswith("state ")}


def as_run(manifest: dict, aliases: dict, numbers: dict, started: dict) -> dict:
    """The manifest with each optimizer's "state_updates" as the training
    calls ran them (`aliases`: a resolved cond's output -> the taken
    branch's tensor; `numbers`: the fed numbers; `started`: `starts`)."""
    return {**manifest, "optimizers": [
        {**entry, "state_updates": [{**_as_run(update, aliases, numbers),
                                     "start": started.get(update["variable"])}
                                    for update in entry.get("state_updates") or []]}
        for entry in manifest["optimizers"]]}


def _constant(value) -> float | None:
    """The one number every element of a starting value holds, else None."""
    if value is None or not np.size(value):
        return None
    flat = np.asarray(value, np.float32).ravel()
    return float(flat[0]) if (flat == flat[0]).all() else None

def written(programs: list, manifest: dict) -> None:
    """Refuses a trace whose training calls write a variable (besides the
    optimizers') that no layer of the rewrite writes: its steps would leave
    it where it starts."""
    written = {variable for each in programs for layer in each.layers
               for variable in layer.config.get("state", {}).values()}
    for entry in manifest["optimizers"]:
        for update in entry.get("state_updates") or []:
            if update["variable"] not in written:
                how = "a moving average of a tensor no batch norm of the rewrite computes" \
                    if update.get("form") else f"{update['type']} {update['op']}"
                raise DataError(f"the training call writes {update['variable']} ({how}): "
                                "tf1-convert writes a batch norm's moving statistics, "
                                "v -= (v - batch) * rate, and no other state, yet")

def _as_run(update: dict, aliases: dict, numbers: dict) -> dict:
    """A moving average's update (the trace's "state_updates") as the
    training calls ran it: the statistic it reads through its resolved
    cond, the rate the fed bool chose (tf.layers' fused path)."""
    rate, statistic = (_branch_taken(update.get(key), numbers) for key in ("rate", "statistic"))
    return {**update, "statistic": aliases.get(statistic, statistic), "rate": rate,
            "form": update.get("form") if None not in (rate, statistic) else None}

def _branch_taken(value, numbers: dict):
    """A value chosen by a tf.cond ({"fed", "true", "false"}) as the fed
    bool chose it (None where the training calls fed no number); else itself."""
    if not isinstance(value, dict):
        return value
    fed = numbers.get(value["fed"])
    return None if fed is None else value["true" if fed else "false"]
