"""The original TF 1.x autoencoder, run faithfully on TF 2.x via tf.compat.v1.

`input_data` re-implements the removed `tensorflow.examples.tutorials.mnist`
loader, `autoencoder` is the ported script, `run_tf1` runs unmodified TF1-era
scripts. Importing this package imports no TensorFlow; the modules do.
"""
