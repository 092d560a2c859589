"""parity/concurrency.py and sides.train_both: the two sides trained at
once give what they give one after the other, bit for bit, and a Ctrl-C
taken by either thread stops both."""

import signal
import threading
import time

import numpy as np
import pytest

from common import sources
from tf1kit import files
from common.config import Hyperparameters
from common.variants import Variant
from parity import concurrency, engine, sides
from tf1kit import environment
from tests.helpers import op_determinism_restored


def test_a_workers_result_and_error_come_back_through_join():
    assert concurrency.Worker(lambda: 42, "answer").start().join() == 42

    def broken():
        raise ValueError("from the worker")
    with pytest.raises(ValueError, match="from the worker"):
        concurrency.Worker(broken, "broken").start().join()


def test_an_interrupt_taken_by_the_worker_is_passed_on_to_the_main_thread():
    def takes_the_signal():
        files.post_interrupt(signal.SIGTERM)  # as if SIGTERM arrived now
        files.raise_if_interrupted()          # the worker's safe point takes it
    worker = concurrency.Worker(takes_the_signal, "takes").start()
    with pytest.raises(files.Interrupted):
        worker.join()
    with pytest.raises(files.Interrupted) as raised:
        files.raise_if_interrupted()          # the main thread's next safe point
    assert raised.value.signum == signal.SIGTERM


def test_an_error_in_the_main_thread_stops_a_live_worker_at_its_next_safe_point():
    stopped = threading.Event()

    def trains_until_stopped():
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                files.raise_if_interrupted()
                time.sleep(0.01)
        finally:
            stopped.set()
    with pytest.raises(RuntimeError, match="main side failed"):
        with concurrency.worker_scope() as workers:
            workers.append(concurrency.Worker(trains_until_stopped, "loop").start())
            raise RuntimeError("main side failed")
    assert stopped.is_set() and not workers[0].alive()
    files.raise_if_interrupted()  # no interrupt is left waiting


def serial(experiment, seed, mode):
    legacy = sides.run_legacy(experiment, seed, log=lambda line: None)
    return legacy, sides.run_modern(experiment, seed, mode, legacy_initial=
                                    legacy.run.initial_weights, log=lambda line: None)


@pytest.mark.slow
@pytest.mark.parametrize("variant", [  # denoising: its batches come from TF1's order too
    Variant(), Variant(name="denoising", noise="gaussian")], ids=lambda v: v.name)
def test_training_both_sides_at_once_is_bit_identical_to_one_after_the_other(variant):
    raw = sources.load_raw(sources.DataSource("sample"))
    experiment = engine.make_experiment(raw, 0, Hyperparameters(training_epochs=2), variant,
                                        steps_per_epoch=25)
    with op_determinism_restored():
        environment.configure_tensorflow("cpu")
        together = sides.train_both(experiment, 3, "exact", log=lambda line: None)
        apart = serial(experiment, 3, "exact")
    for concurrent, alone in zip(together, apart):
        np.testing.assert_array_equal(concurrent.run.step_losses, alone.run.step_losses)
        np.testing.assert_array_equal(concurrent.run.test_codes, alone.run.test_codes)
        for name, value in alone.run.final_weights.items():
            np.testing.assert_array_equal(concurrent.run.final_weights[name], value)
    # and exact mode still holds between the sides
    np.testing.assert_array_equal(together[0].run.step_losses, together[1].run.step_losses)
