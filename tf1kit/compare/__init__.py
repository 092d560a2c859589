"""`tf1-trace-compare ORIGINAL.npz REWRITE.npz`: a rewrite's trace against
the original's. Importing this package imports no TensorFlow.

- `cli`: the command, and the verdict with the environments judged
- `diff`: the variable map, the start, the batches, the first step and
  tensor that differ; `forward`: the layers' outputs and random draws
  against the original's; `explain`: the words for where they part
- `verdict`: the environments compared, and whether float32 rounding of
  another environment explains a difference (`graph_judge`: a traced
  forward pass recomputed in float64 and held to its bounds)
- `values`: fetched values against a rewrite's, bit for bit (`assert_matches`)
- `__main__`: `python -m tf1kit.compare`
"""
