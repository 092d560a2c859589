"""A folder of golden recordings of one experiment, one per environment
that decides the bits (`golden/sample/` holds one per CPU kind seen), and
which of them a replay here uses (`compare.py --against FOLDER`).

A folder that holds a manifest is a set of one. Otherwise each subfolder
is a member and must be a sealed recording; all members must record the same
configuration and data, so that the command line and the data are checked
once. Every member is loaded and verified (recording.load) before
TensorFlow loads, so that a damaged one is refused in one line first. The
member is chosen after TensorFlow is imported (oneDNN's state is known only
then) and before its runtime starts (the member's thread counts are set
then).
"""

from __future__ import annotations

import dataclasses
import os

from tf1kit.errors import DataError
from tf1kit import environment
from parity.golden import recording


@dataclasses.dataclass(frozen=True)
class Member:
    """One recording of the set: its folder and manifest."""

    folder: str
    manifest: dict
    arrays: dict             # {seed: arrays or None}, as recording.load returns them

    @property
    def label(self) -> str:
        return os.path.basename(os.path.normpath(self.folder))

    @property
    def has_values(self) -> bool:
        """Whether it kept any step's values: what the float64 referee needs
        to judge the legacy side of a difference (parity/golden/rounding.py)."""
        return bool(self.manifest.get("traces", {}).get("value_steps"))


class RecordingSet:
    """The recordings in a folder (see the module docstring)."""

    def __init__(self, folder: str):
        self.folder = folder
        if os.path.isfile(os.path.join(folder, recording.MANIFEST)) or not os.path.isdir(folder):
            self.members = [Member(folder, *recording.load(folder))]
            return
        # Every subfolder is a member: one that is not a recording (empty, a
        # manifest lost, something else put there) is refused, not skipped,
        # since a set that silently shrinks can replay the wrong member.
        found = sorted(entry for entry in os.listdir(folder) if not entry.startswith(".")
                       and os.path.isdir(os.path.join(folder, entry)))
        if not found:
            recording.read_manifest(folder)  # its one-line "not a recording" error
        for entry in found:
            if not os.path.isfile(os.path.join(folder, entry, recording.MANIFEST)):
                raise DataError(f"{folder}: {entry}/ is not a recording (no "
                                f"{recording.MANIFEST}): a set of recordings holds one "
                                "sealed recording per subfolder; move it out of the set")
        self.members = [Member(os.path.join(folder, entry),
                               *recording.load(os.path.join(folder, entry)))
                        for entry in found]
        first = self.members[0]
        for member in self.members[1:]:
            for part in ("config", "data"):
                if member.manifest[part] != first.manifest[part]:
                    raise DataError(f"{folder}: the recordings {first.label} and {member.label} "
                                    f"differ in their {part}; a set of recordings must record "
                                    "one experiment")

    @property
    def manifest(self) -> dict:
        """A member's manifest, for what all members share (config, data)."""
        return self.members[0].manifest

    def choose(self, current: dict) -> tuple[Member, str | None]:
        """The member to replay in the `current` environment (versions, machine,
        device), and, for a set of several, why it was chosen.

        The member recorded in the same bit-deciding environment (its
        thread counts aside: the replay takes them) if there is one; else
        the closest that kept step values, so that a difference can be
        judged; else the closest."""
        def distance(member):
            differences = environment.bit_compatibility(member.manifest["environment"],
                                                        current, threads=False)
            return len(differences), not member.has_values, member.label
        best = min(self.members, key=distance)
        if len(self.members) == 1:
            return best, None
        if distance(best)[0] == 0:
            return best, f"{best.label}: recorded in this environment"
        best = min(self.members, key=lambda member: (not member.has_values, *distance(member)))
        others = ", ".join(member.label for member in self.members)
        return best, (f"{best.label}: none of {others} was recorded in this environment; "
                      f"{best.label} is the closest" + (" that kept step values" if
                                                        best.has_values else ""))


def member_for_this_machine(folder: str, device: str = "cpu") -> Member:
    """The member of the set in `folder` a replay on this machine uses
    (imports TensorFlow, without starting its runtime)."""
    return RecordingSet(folder).choose(environment.environment_before(device))[0]
