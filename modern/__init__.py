"""The original autoencoder, rewritten the way a Keras 3 user would today.

`autoencoder` (the model, its loss, optimizer, one training step and the
evaluation), `training` (the tf.function loop, the in-graph loop, `fit`),
`options` (the `TrainingOptions` object and its EXACT / IDIOMATIC presets),
`input_data` (arrays and tf.data), `variants` (sparse and denoising),
`checkpoints` (weights from legacy/, TF1 Saver checkpoints, .keras files).
`optimizers.TF1Adam` and `layers.AddBiasDense` are the two deliberate
deviations from idiom that make the exact configuration match the TF1
program bit for bit. Importing this package imports no TensorFlow.
"""
