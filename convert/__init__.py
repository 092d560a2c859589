"""tf1-convert: the Keras 3 rewrite of a TF1 script, written from the
script's trace and proven against it (docs/convert.md)."""
