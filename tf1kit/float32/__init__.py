"""Float32 arithmetic judged in float64: error bounds (`bounds`), TF1's
optimizer kernels (`optimizers`), distances in ulps (`ulps`). NumPy only."""
