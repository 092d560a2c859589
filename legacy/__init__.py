"""The original TF 1.x autoencoder, run faithfully on TF 2.x via tf.compat.v1.

Importing this package imports no TensorFlow; the modules do.

- `autoencoder`: the ported script's graph, in the original's names
- `training`: its Session + feed_dict loop, printed lines, TF1 Saver
- `input_data`: TF1's removed `read_data_sets` / `DataSet.next_batch`
- `variants`: the sparse and denoising terms, in TF1 style
- `steps`: the graph one optimizer step at a time (for parity/divergence.py)
- `__main__`: `python -m legacy`
- `run_tf1`: `python -m tf1kit.run.cli SCRIPT.py`, for unmodified TF1 scripts;
  the environment it gives them (`tf1_shim`), `tf.contrib`'s exact remnants
  (`contrib`), the tutorial's `mnist` module (`tutorial_mnist`), and every
  `Session.run` counted and traced (`session_trace`): its random ops and
  their streams (`random_trace`), its forward activations (`activations`),
  its optimizers and losses (`optimizer_watch`), `--feed` overrides (`feeds`)
"""
