"""The trace of a training run, the format that `tf1-run --trace` (a TF1
script) and `tf1kit.keras.recorder` (a Keras rewrite) both write and
`tf1-trace-compare` reads: `tracefile` writes and reads it."""
