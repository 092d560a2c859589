"""A weight clip a script runs after a kind of training call (a WGAN's
critic: `clip_D = [p.assign(tf.clip_by_value(p, -c, c)) for p in theta_D]`,
`sess.run(clip_D)` after each of its updates): read from the trace
(`between_steps`, which refuses any other write of weights) and written
into the rewrite (`described`, `functions`), a function the rewrite's loop
and its proof call after that kind of call."""

from __future__ import annotations

import re

import numpy as np

from tf1kit.convert.source import Call, Source
from tf1kit.errors import DataError


def between_steps(recorded, taken: list) -> dict:
    """{a kind of training call: the weight clip the script runs after each
    such call} (a WGAN's critic: `sess.run(clip_D)`, each assign
    `p.assign(tf.clip_by_value(p, -c, c))`); refuses, in one line, weights
    written in any other way between two training calls, or beside the
    update in one (which TF1 ran in no fixed order): the rewrite's weights
    change by its optimizers and such clips only."""
    for step in recorded.steps:
        call = recorded.calls[step["call"]]
        if call.get("assigns"):
            raise DataError(f"training step {step['step']}'s Session.run also assigns weights "
                            f"({', '.join(call['fetches'][:4])}: a weight clip beside the "
                            "update, which TF1 ran in no fixed order; run it in a Session.run "
                            "of its own after the update): tf1-convert writes weights its "
                            "optimizers change, yet")
    found = {}
    for index, (step, kind) in enumerate(zip(recorded.steps, taken)):
        following = recorded.steps[index + 1] if index + 1 < len(recorded.steps) else None
        end = following["call"] if following else len(recorded.calls)
        between = recorded.calls[step["call"] + 1:end]
        unknown = next((call for call in between if "clips" in call and not call["clips"]),
                       None)
        if unknown is not None:
            raise DataError(f"the script writes weights after training step {step['step']} "
                            f"(Session.run of {', '.join(unknown['fetches'][:3])}), other than "
                            "by clipping each to two numbers: tf1-convert writes weights its "
                            "optimizers change, yet")
        clips = [clip for call in between for clip in call.get("clips") or []]
        # (the trace may stop before the last step's clip)
        if kind in found and found[kind] != clips and not (following is None and not clips):
            raise DataError(f"training step {step['step']} is followed by another weight clip "
                            "than the earlier calls of its optimizers: tf1-convert writes one "
                            "clip after each kind of training call, yet")
        found.setdefault(kind, clips)
        if following is not None:
            _unchanged_but_clipped(step, following, between,
                                   {clip["variable"] for clip in clips})
    return {kind: clips for kind, clips in found.items() if clips}


def _unchanged_but_clipped(previous: dict, step: dict, between: list, clipped: set) -> None:
    """Refuses a script whose weights change between two training steps
    other than by the clips run between them (`between`: the calls there):
    a write the trace did not see as a call."""
    after = {key.partition(" ")[2]: value for key, value in previous["digests"].items()
             if key.startswith("weight ")}
    changed = [key.partition(" ")[2] for key, value in step["digests"].items()
               if key.startswith("initial ") and after.get(key.partition(" ")[2], value) != value
               and key.partition(" ")[2] not in clipped]
    if changed:
        fetched = [name for call in between for name in call["fetches"]]
        raise DataError(f"the script writes {changed[0]} between training steps "
                        f"{previous['step']} and {step['step']} (Session.run of "
                        f"{', '.join(fetched[:3]) or 'nothing traced'}: a weight clip?): "
                        "tf1-convert writes weights its optimizers change, yet")


def described(clips: list, weights: dict, facts) -> dict | None:
    """A kind of call's clip for the rewrite: {"name": the script's name of
    the clip's list (its line's target, else clip_weights), "tag", "groups":
    [(min, max, [the model's attributes of the weights so clipped])]}, or
    None for no clip."""
    if not clips:
        return None
    missing = [clip["variable"] for clip in clips if clip["variable"] not in weights]
    if missing:
        raise DataError(f"{clips[0]['line']}: it clips {missing[0]}, which no layer of the "
                        "rewrite holds")
    file_line, _, text = clips[0]["line"].partition(" ")
    target = re.match(r"\s*(?:self\.)?([A-Za-z_]\w*)\s*=", text)
    groups = {}
    for clip in clips:
        bounds = (str(np.float32(clip["min"])), str(np.float32(clip["max"])))
        groups.setdefault(bounds, []).append(weights[clip["variable"]])
    return {"name": target.group(1) if target else "clip_weights",
            "tag": facts.line_tag(file_line) if file_line else "the script's weight clip",
            "groups": [(low, high, names) for (low, high), names in groups.items()]}


def functions(out: Source, steps: list) -> None:
    """`def <clip>(model):` for each kind of call's clip, once."""
    written = set()
    for step in steps or []:
        clip = step.get("clip")
        if not clip or clip["name"] in written:
            continue
        written.add(clip["name"])
        out.blank(2)
        with out.block(f"def {clip['name']}(model):"):
            out.docstring(f"The script's weight clip, run after each {step['name']} call: "
                          "each weight clipped to its bounds in place.")
            out.comment(clip["tag"])
            for low, high, names in clip["groups"]:
                out.statement("clipped = ", Call("", names, "[]"))
                with out.block("for weight in clipped:"):
                    out.line(f"weight.assign(tf.clip_by_value(weight, {low}, {high}))")
