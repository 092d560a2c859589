"""The trace of a training run, the format that `tf1-run --trace` (a TF1
script) and `tf1kit.keras.recorder` (a Keras rewrite) both write and
`tf1-trace-compare` reads. Importing it imports no TensorFlow.

- `tracefile`: the file: its keys, digests and steps, written and read (`load`)
- `graph`: the forward graph a manifest holds, one op's schema (`GraphOp`)
  and each tensor's consumers (`ForwardGraph`), a tf.cond resolved to the
  branch the feeds took (`taken_branches`)
"""
