"""Every row of docs/errors.md's bad-input table, through the real command line:
exit status 2, one line on stderr naming the problem, no traceback, nothing
written, and docs/errors.md showing that very line (tests/bad_inputs.py)."""

import pytest

from tests import bad_inputs
from tests.bad_inputs import CASES, PROGRAMS


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """All cases at once, a few processes at a time: each is a ~1 s process."""
    return bad_inputs.run_all(tmp_path_factory.mktemp("bad-inputs"))


@pytest.fixture(scope="module")
def readme_rows():
    return bad_inputs.readme_rows()


def test_readme_table_lists_exactly_the_tested_inputs(readme_rows):
    assert list(readme_rows) == [case.input for case in CASES], (
        "docs/errors.md's bad-input table is stale: run `python -m tests.bad_inputs --write`")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gets_one_line_status_2_and_writes_nothing(case, outcomes, readme_rows):
    outcome = outcomes[case.input]
    assert outcome.returncode == bad_inputs.EXIT_USAGE, outcome.stderr
    assert "Traceback" not in outcome.stderr
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith(f"{PROGRAMS[case.program][1]}: error: ")
    assert case.expect in outcome.line
    assert outcome.changes == [], f"the run created or changed {outcome.changes}"
    assert readme_rows.get(case.input) == bad_inputs.render_row(case, outcome.line), (
        "docs/errors.md shows another message: run `python -m tests.bad_inputs --write`")
