"""Golden recordings: the legacy side of a comparison written once
(`compare.py --record DIR`), so that the modern side can be checked
against it later without `tf.compat.v1` (`compare.py --against DIR`).

- `recording`: the format: write all or nothing, load and verify
- `shapes`: the dtype and shape every stored array must have
- `step_traces`: which steps are traced, digests and values
- `record`: making a recording (legacy trained, its steps traced)
- `changes`: what a new recording changed, beside the one it replaces
- `sets`: a folder of recordings, one per CPU kind, and which one to replay
- `against`: checking the modern side against a recording, and localizing
  a difference with the recorded traces
- `rounding`: the verdict across bit-deciding environments
"""
