"""The original autoencoder, rewritten the way a Keras 3 user would today.

Importing this package imports no TensorFlow; most modules do (`portable`,
`backend`, `options`, `input_data` and `launcher` do not).

- `autoencoder`: the model, its loss, optimizer, one training step, the evaluation
- `training`: the reference loop (`train`) and Keras's `fit`
- `batches`: what the loop is fed and how it is paced (`Loop`, `Feed`)
- `options`: `TrainingOptions` and the `EXACT` / `IDIOMATIC` presets
- `optimizers`, `layers`: the two faithful deviations, `TF1Adam` and `AddBiasDense`
  (and `AddBiasConv2D`, for other scripts' `conv2d(...) + b`)
- `tf1_optimizers`: TF1's other optimizers on their own kernels (`TF1GradientDescent`,
  `TF1Momentum`, `TF1RMSProp`, `TF1Adagrad`), for tf1-convert's rewrites
- `tf1_random`: TF1's random streams in a tf.function (`TF1Dropout`, `TF1RandomNormal`,
  `philox_draw`)
- `input_data`: the arrays and the seeded tf.data pipeline
- `variants`: the sparse and denoising layers
- `checkpoints`: weights from legacy/, TF1 Saver checkpoints, `.keras` files
- `steps`: the model one optimizer step at a time (for parity/divergence.py)
- `distributed`, `launcher`: `tf.distribute` around the loop, and the
  loopback launcher of multi-worker runs
- `backup`: per-epoch backups that a killed run resumes from
- `tracing`: a Keras rewrite's steps recorded as a step trace (`StepRecorder`)
- `backend`, `portable`: `--backend jax|torch`, and the rewrite in `keras.ops` that
  runs there (the deep variant, one compiled step)
- `__main__`: `python -m modern`
"""
