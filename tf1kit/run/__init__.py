"""`tf1-run SCRIPT.py`: an unmodified TF1 script run on TensorFlow 2.x, every
`Session.run` counted and traced. Importing this package imports no TensorFlow.

- `cli`, `__main__`: the command (`tf1-run`, `python -m tf1kit.run`)
- `shim`: the environment a script gets (`import tensorflow as tf` is
  `tf.compat.v1`, `tensorflow.examples.tutorials.mnist`, a bare `import
  input_data` without its copy, pyplot to files)
- `contrib`: `tf.contrib` (its served symbols, a refusal for the rest), with
  TF 1.15's layer functions (`contrib_layers`, `contrib_batch_norm`), its
  initializers and regularizers (`contrib_initializers`), `arg_scope`
- `keras_datasets`: Keras's `load_data()` served from `--data-dir`
- `numpy_scalars`: NumPy scalars where TF1-era scripts passed them
- `recurrent`: the static_rnn / dynamic_rnn calls a script made (and their
  bidirectional forms), with their cells
- `named_arguments`: TF 1.x's named-only cross-entropy calls (a positional
  TF 0.x call refused at its line)
- `feeds`: `--feed NAME=VALUE` overrides
- `numpy_draws`: the arrays a script draws with NumPy and feeds (a mask, noise),
  found with their calls and kept for every step
- `session`: every `Session.run` recorded as the trace's calls and steps;
  its random ops and their streams (`random_ops`), its forward activations
  and graph (`activations`), its optimizers and losses (`optimizer_watch`),
  the state a training call writes besides them, a batch norm's moving
  statistics (`state_updates`),
  their learning-rate schedules and gradient clipping (`schedules`), the
  tf.losses calls as made (`losses`); what those replacements of TF1
  functions share (`patching`)
"""
