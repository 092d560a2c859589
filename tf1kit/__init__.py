"""tf1kit: run an unmodified TensorFlow 1.x script, trace it step by step,
rewrite it in Keras 3 and prove the rewrite against the trace.

Importing this package imports no TensorFlow. The stages a script goes
through, one subpackage each (lower layers never import higher ones):

- `run`: `tf1-run SCRIPT.py`: the TF1 environment a script gets (the shim,
  `tf.contrib`'s remnants, TF1's MNIST loader) and every `Session.run`
  recorded (its random ops, forward activations, optimizers, feeds)
- `trace`: the trace file both sides write and read (`tracefile`)
- `keras`: the faithful Keras 3 pieces a rewrite imports where stock Keras
  changes the bits (`AddBiasDense`, `TF1Adam`, `TF1Dropout`, ...), and the
  step recorder that traces a rewrite (`recorder`)
- `compare`: `tf1-trace-compare ORIGINAL.npz REWRITE.npz`: where a rewrite
  parts from the original, and whether another environment explains it
- `convert`: `tf1-convert SCRIPT.py -o REWRITE.py`: the rewrite, written
  from the trace, and its proof
- `float32`: float32 error bounds and TF1's optimizer kernels in float64
  (the judge's arithmetic), ulp distances
- `data`: MNIST's files and TF1's `read_data_sets`
- `cli`, `errors`, `files`, `machine`, `environment`, `quiet`: one-line
  errors, atomic outputs, the CPU's fingerprint, what decides the float32
  bits, TensorFlow's start-up lines kept off a command's stderr
"""
