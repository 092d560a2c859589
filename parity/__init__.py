"""The comparison engine: legacy/ against modern/, trained from the same
seeds, starts and batches, and judged. `compare.py` is its command line;
this is the only package that imports both implementations. Importing it
imports no TensorFlow.

- `comparison`: one comparison, from the parsed flags to the summary
- `engine`: the experiment and one seed's comparison
- `sides`, `concurrency`: each side trained as a comparison needs, both at once
- `perturbations`: the negative controls
- `divergence`, `referee`: where a difference is born, and the float64 step
- `judge`: every tensor of a step, on each side, held to its float32 error
  bound from that side's own inputs (the verdict's one rule; the bounds and
  TF1's optimizer kernels are the kit's, tf1kit/float32/)
- `verdict`, `metrics`: match, equivalence (TOST), latent metrics
- `report`, `summary`, `plots`: report.json (schema beside it), the table, figures
- `floor`: the run's time beside what it cannot avoid
- `golden`: golden recordings (its own map)

Dependencies point one way: `golden/` uses the engine, never the reverse.
What decides the bits (the environment) and the trace comparison of a
user's own TF1 script are the kit's (tf1kit/environment.py, tf1kit/compare/).
Modules that load TensorFlow (legacy/, modern/) or scikit-learn, SciPy and
matplotlib are imported inside the functions that need them, so that a
bad flag or file is refused before those loads.
"""
