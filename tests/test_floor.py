"""A comparison's time beside its floor (parity/floor.py), and the thread
counts a live comparison gives its two sides (common/machine.py)."""

import pytest

import compare
from common import machine
from parity import environment, floor


def test_a_side_alone_keeps_its_first_epoch_and_runs_the_later_ones_at_its_best_pace():
    # 1 s of start and first epoch, epochs slowed by the other side, 0.5 s after the last.
    epochs = [1.0, 2.0, 2.0, 1.0]
    assert floor.alone_seconds(sum(epochs) + 0.5, epochs) == pytest.approx(1.0 + 3 * 1.0 + 0.5)
    assert floor.alone_seconds(7.0, [7.0]) == 7.0       # one epoch: as measured
    assert floor.alone_seconds(0.0, []) == 0.0          # a recorded side: not trained here


def test_the_floor_is_the_setup_the_slower_side_alone_and_what_follows():
    timings = {"setup_seconds": 4.0, "plots_seconds": 1.0, "wall_seconds": 24.0,
               "per_seed": [{"legacy_seconds": 12.0, "legacy_epoch_seconds": [4.0, 4.0, 4.0],
                             "modern_seconds": 9.0, "modern_epoch_seconds": [3.0, 3.0, 3.0],
                             "metrics_seconds": 0.5, "explain_seconds": 0.5}]}
    result = floor.floor(timings)
    assert result["slower_side_alone_seconds"] == 12.0
    assert result["metrics_and_plots_seconds"] == 2.0
    assert result["seconds"] == 18.0
    assert result["ratio"] == pytest.approx(24.0 / 18.0)
    assert "1.33x its floor of 18.0 s" in floor.describe(result)


def test_process_seconds_count_from_the_process_start():
    assert 0 < floor.process_seconds() < 24 * 3600


@pytest.mark.parametrize("cpus, expected", [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_two_sides_get_half_the_cpus_each(monkeypatch, cpus, expected):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    monkeypatch.setattr(machine, "schedulable_cpus", lambda: cpus)
    assert machine.threads_for_two_sides() == {"intra_op": expected, "inter_op": expected}
    assert machine.default_threads() == {"intra_op": cpus, "inter_op": cpus}


def test_a_thread_variable_still_wins(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    monkeypatch.setattr(machine, "schedulable_cpus", lambda: 8)
    assert machine.threads_for_two_sides() == {"intra_op": 3, "inter_op": 4}


class Configured(Exception):
    """Stops compare.py once TensorFlow would be configured."""


@pytest.mark.parametrize("flags, expected", [
    ([], "split"),                                            # live: half each
    (["--intra-op-threads", "3"], "flag"),                    # a flag wins
    (["--record", "RECORD"], "default"),                      # legacy alone: TensorFlow's
])
def test_a_live_comparison_splits_the_cpus_between_its_sides(monkeypatch, tmp_path, flags,
                                                             expected):
    seen = {}

    def configure(device, threads=None):
        seen["threads"] = threads
        raise Configured

    monkeypatch.setattr(environment, "configure_tensorflow", configure)
    monkeypatch.setattr(machine, "schedulable_cpus", lambda: 4)
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    if flags[:1] == ["--record"]:
        flags = ["--record", str(tmp_path / "record")]
    else:
        flags = [*flags, "--out", str(tmp_path / "out")]
    with pytest.raises(Configured):
        compare.main([*flags, "--quiet"])
    assert seen["threads"] == {"split": {"intra_op": 2, "inter_op": 2},
                               "flag": {"intra_op": 3, "inter_op": 2},
                               "default": {}}[expected]
