"""A folder of recordings, one per environment (parity/golden/sets.py):
which one a replay uses, and what a folder of several must share."""

import json
import os
import shutil

import pytest

from tf1kit.errors import DataError
from parity.golden.sets import RecordingSet
from tests.helpers import REPO_ROOT, edit_recording

GOLDEN = os.path.join(REPO_ROOT, "golden", "sample")


@pytest.fixture
def two_kinds(tmp_path):
    """The shipped golden set, copied."""
    folder = tmp_path / "set"
    shutil.copytree(GOLDEN, folder)
    return RecordingSet(str(folder))


def environment_of(member, **machine):
    environment = json.loads(json.dumps(member.manifest["environment"]))
    environment["machine"].update(machine)
    return environment


def test_the_member_of_this_environment_is_chosen(two_kinds):
    for member in two_kinds.members:
        chosen, why = two_kinds.choose(environment_of(member))
        assert chosen.label == member.label
        assert why == f"{member.label}: recorded in this environment"


def test_elsewhere_the_closest_member_that_kept_values_is_chosen(two_kinds):
    other = environment_of(two_kinds.members[0], cpu_flags=["sse4_2", "avx", "avx2", "fma"])
    chosen, why = two_kinds.choose(other)
    assert chosen.has_values and "none of" in why and "kept step values" in why


def test_a_folder_with_one_manifest_is_a_set_of_one():
    member = RecordingSet(GOLDEN).members[0]
    alone = RecordingSet(member.folder)
    assert [m.folder for m in alone.members] == [member.folder]
    assert alone.choose(environment_of(member, cpu_flags=[]))[1] is None


def test_members_that_record_other_experiments_are_refused(two_kinds):
    edit_recording(two_kinds.members[1].folder,
                   lambda manifest: manifest["config"].update(learning_rate=0.02))
    with pytest.raises(DataError, match="differ in their config; a set of recordings must "
                                        "record one experiment"):
        RecordingSet(two_kinds.folder)


def test_a_folder_without_recordings_is_refused_in_one_line(tmp_path):
    with pytest.raises(DataError, match="not a recording \\(no manifest.json\\)"):
        RecordingSet(str(tmp_path))
