"""What `legacy/` and `modern/` share: the facts both sides must agree on.

Neither implementation imports the other; both import this package, and
both import the TF1 kit's generic pieces (tf1kit: errors, files, the
machine's fingerprint, MNIST's files, the trace format) like any user. It
holds no TensorFlow graph or model code. Importing it imports no TensorFlow.

- `architecture`: the network's shape: layer names, sizes, the linear code
  layer, the original's parameter names
- `config`: the original's hyperparameters (`Hyperparameters`)
- `steps`: the vocabulary of a training step's state and trace
- `results`: what each side's training and evaluation return
- `variants`: the sparse and denoising variants' settings and noise
- `collapse`: whether a run collapsed to the mean image, in words
- `sources`: `--data`: an IDX folder, Keras's npz or the bundled sample
- `cli`: the experiment's flags (on the kit's one-line-error parser, tf1kit/cli.py)
- `errors`: how training fails (`NonFiniteLoss`, `PeerLost`); bad data is the kit's `DataError`
- `plots`: the original's scatter of the codes, image grids
"""
