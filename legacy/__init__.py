"""The original TF 1.x autoencoder, run faithfully on TF 2.x via tf.compat.v1.

`input_data` re-implements the removed `tensorflow.examples.tutorials.mnist`
loader, `autoencoder` builds the ported script's graph, `training` runs its
Session loop, `variants` adds the sparse and denoising terms, `run_tf1` runs
unmodified TF1-era scripts. Importing this package imports no TensorFlow;
the modules do.
"""
