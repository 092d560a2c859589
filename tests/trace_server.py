"""tf1-run's traces from a process that loaded TensorFlow once: each script
runs in a fork of it, so a test tracing many scripts (the corpus) pays one
TensorFlow start-up instead of one each. The fork runs tf1-run's own `main`
(the shim, the trace) as its process would; a trace is the same, digest for
digest, as `python -m tf1kit.run`'s (measured on lstm_rows.py's 5 steps,
2026-12-07), and every corpus rewrite MATCHes the fork's trace.

    python -m tests.trace_server   # one JSON job a line on stdin:
    {"argv": [tf1-run's arguments], "cwd": folder, "log": file}  ->  {"exit": status}
    ("out" and "err" files instead of "log": the two streams apart)
"""

import json
import os
import sys

from tf1kit.run import cli, shim

shim.use_legacy_keras()  # as tf1-run's process selects Keras 2, before TensorFlow loads
import tensorflow  # noqa: E402  loaded once, before any fork (nothing run in it here)
import tf_keras  # noqa: F401,E402

tensorflow._tf1kit_legacy_keras = True  # what use_legacy_keras finds in a fork


def serve(jobs, answers) -> None:
    for line in jobs:
        job = json.loads(line)
        child = os.fork()
        if child == 0:  # tf1-run, in this fork only
            os.chdir(job["cwd"])
            for stream, path in ((1, job.get("out", job["log"])), (2, job.get("err", job["log"]))):
                opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC,
                                 0o644)  # (appended: one file may take both streams)
                os.dup2(opened, stream)
            try:
                status = cli.main(job["argv"])
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) else 1
            except BaseException:  # noqa: BLE001  (its traceback is in the log)
                import traceback
                traceback.print_exc()
                status = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status or 0)
        _, code = os.waitpid(child, 0)
        answers.write(json.dumps({"exit": os.waitstatus_to_exitcode(code)}) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
