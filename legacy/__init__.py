"""The original TF 1.x autoencoder, run faithfully on TF 2.x via tf.compat.v1.

Importing this package imports no TensorFlow; the modules do.

- `autoencoder`: the ported script's graph, in the original's names
- `training`: its Session + feed_dict loop, printed lines, TF1 Saver
- `variants`: the sparse and denoising terms, in TF1 style
- `steps`: the graph one optimizer step at a time (for parity/divergence.py)
- `__main__`: `python -m legacy`

TF1's `read_data_sets` is the kit's (tf1kit/data/input_data.py), as is
`tf1-run` for other TF1 scripts (tf1kit/run/).
"""
