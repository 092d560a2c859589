"""A comparison's time beside its floor (parity/floor.py)."""

import pytest

from parity import floor


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
