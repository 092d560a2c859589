"""The comparison engine: legacy/ against modern/, trained from the same
seeds, starts and batches, and judged. `compare.py` is its command line;
this is the only package that imports both implementations. Importing it
imports no TensorFlow.

- `comparison`: one comparison, from the parsed flags to the summary
- `engine`: the experiment and one seed's comparison
- `sides`, `concurrency`: each side trained as a comparison needs, both at once
- `environment`: TensorFlow's settings, the machine, what decides the bits
- `perturbations`: the negative controls
- `divergence`, `referee`: where a difference is born, and the float64 step
- `judge`, `optimizer_judge`: every tensor of a step, on each side, held to its
  float32 error bound from that side's own inputs (the verdict's one rule)
- `verdict`, `metrics`: match, equivalence (TOST), latent metrics
- `report`, `summary`, `plots`: report.json (schema beside it), the table, figures
- `floor`: the run's time beside what it cannot avoid
- `trace`: reading a `run_tf1 --trace` of a TF1 script or a rewrite's trace
- `trace_diff`: where a rewrite parts from the original, its optimizer judged;
  `trace_forward`: its layers' outputs and random draws against the original's;
  `trace_explain`: the words for where they part; `trace_verdict`: the
  environments judged; `graph_judge`: a traced forward pass checked in float64
- `golden`: golden recordings (its own map)

Dependencies point one way: `golden/` uses the engine, never the reverse.
Modules that load TensorFlow (legacy/, modern/) or scikit-learn, SciPy and
matplotlib are imported inside the functions that need them, so that a
bad flag or file is refused before those loads.
"""
