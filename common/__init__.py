"""What `legacy/` and `modern/` share: the facts both sides must agree on.

Neither implementation imports the other; both import this package. It
holds no TensorFlow graph or model code. Importing it imports no TensorFlow.

- `architecture`: the network's shape: layer names, sizes, the linear code
  layer, the original's parameter names
- `config`: the original's hyperparameters (`Hyperparameters`)
- `steps`: the vocabulary of a training step's state and trace
- `run_trace`: the step-trace format a TF1 script's trace and a Keras rewrite's share
- `results`: what each side's training and evaluation return
- `variants`: the sparse and denoising variants' settings and noise
- `collapse`: whether a run collapsed to the mean image, in words
- `sources`, `idx`, `npz`: where data comes from and its checked readers
- `cli`: the experiment's flags and one-line errors for every entry point
- `errors`: the project's error types
- `machine`: the CPU's fingerprint (model, kernel-deciding flags, oneDNN), thread counts
- `files`: atomic outputs, Ctrl-C and SIGTERM at safe points
- `plots`: the original's scatter of the codes, image grids
"""
