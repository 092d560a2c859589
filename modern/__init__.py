"""The original autoencoder, rewritten the way a Keras 3 user would today.

Importing this package imports no TensorFlow; most modules do (`portable`,
`backend`, `options`, `input_data` and `launcher` do not).

- `autoencoder`: the model, its loss, optimizer, one training step, the evaluation
- `training`: the reference loop (`train`) and Keras's `fit`
- `batches`: what the loop is fed and how it is paced (`Loop`, `Feed`)
- `options`: `TrainingOptions` and the `EXACT` / `IDIOMATIC` presets
- `input_data`: the arrays and the seeded tf.data pipeline
- `variants`: the sparse and denoising layers
- `checkpoints`: weights from legacy/, TF1 Saver checkpoints, `.keras` files
- `steps`: the model one optimizer step at a time (for parity/divergence.py)
- `distributed`, `launcher`: `tf.distribute` around the loop, and the
  loopback launcher of multi-worker runs
- `backup`: per-epoch backups that a killed run resumes from
- `backend`, `portable`: `--backend jax|torch`, and the rewrite in `keras.ops` that
  runs there (the deep variant, one compiled step)
- `__main__`: `python -m modern`

Its two faithful deviations, `TF1Adam` and `AddBiasDense`, are the TF1
kit's (tf1kit.keras), imported as any rewrite imports them; its step
traces are the kit's recorder's (tf1kit/keras/recorder.py).
"""
