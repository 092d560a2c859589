"""One side of a comparison in a worker thread while the other trains here.

Why threads: on 2 cores the legacy Session loop and the modern in-graph
loop overlap well (each spends most of its time in TensorFlow's C++ with
the GIL released), and the results stay bit-identical to running them one
after the other (tests/test_concurrency.py). Both sides share the
process's TensorFlow thread pools, whose sizes decide how kernels split
their work; separate processes with one thread each would not.

Stopping: a Ctrl-C or SIGTERM is taken by whichever thread reaches a safe
point first (tf1kit/files.py); it hands the signal on, so the other thread
stops at its own next safe point, and the main thread re-raises.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from tf1kit import files


class Worker:
    """`work()` in a thread of its own; `join()` returns its result or
    raises what it raised."""

    def __init__(self, work, name: str):
        self._work, self._result, self._error = work, None, None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as error:  # re-raised by join(), in the main thread
            self._error = error
            if isinstance(error, files.Interrupted):
                files.post_interrupt(error.signum)  # the main thread stops too

    def start(self) -> "Worker":
        self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


@contextlib.contextmanager
def worker_scope():
    """A list to hold the workers started inside the block. When the block
    raises, each live worker is asked to stop (an interrupt posted for its
    next safe point) and waited for, so no thread outlives the error."""
    workers: list[Worker] = []
    try:
        yield workers
    except BaseException as error:
        live = [worker for worker in workers if worker.alive()]
        for worker in live:
            files.post_interrupt(getattr(error, "signum", signal.SIGINT))
            with contextlib.suppress(BaseException):
                worker.join()
        with contextlib.suppress(files.Interrupted):
            files.raise_if_interrupted()  # one the workers did not take
        raise
