"""The bit envelope page (tools/bit_envelope.py): the committed results are
what the page shows, and every CPU kind seen is measured or listed missing."""

import json
import os

from tests.helpers import REPO_ROOT
from tools import bit_envelope, bit_envelope_report

RESULTS = os.path.join(REPO_ROOT, "docs", "bit_envelope.json")


def test_the_committed_page_is_rendered_from_the_committed_results():
    result = json.load(open(RESULTS, encoding="utf-8"))
    page = open(os.path.join(REPO_ROOT, "docs", "bit_envelope.md"), encoding="utf-8").read()
    assert page == bit_envelope_report.render(result), "run `python -m tools.bit_envelope`"


def test_every_cpu_kind_seen_is_measured_or_listed_missing():
    result = json.load(open(RESULTS, encoding="utf-8"))
    page = bit_envelope_report.render(result)
    for label in bit_envelope_report.KNOWN_KINDS:
        measured = label in result["machines"]
        assert measured or f"- {label}: " in page.split("## Still missing")[1]
    for machine in result["machines"].values():
        factors = {row["factor"] for row in machine["rows"]}
        assert {"legacy vs modern", "intra-op threads", "inter-op threads", "oneDNN",
                "batch split across replicas"} <= factors


def test_each_factor_is_changed_alone_from_the_baseline():
    rows = bit_envelope.changes_to_measure({"intra_op": 2, "inter_op": 2}, onednn=True)
    assert [(factor, value) for factor, value, _, _ in rows] == [
        ("intra-op threads", "1"), ("intra-op threads", "4"), ("inter-op threads", "1"),
        ("inter-op threads", "4"), ("oneDNN", "off")]
    assert rows[-1][3] == {"TF_ENABLE_ONEDNN_OPTS": "0"} and rows[-1][2] == []
