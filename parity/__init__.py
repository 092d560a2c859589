"""The comparison engine: legacy/ against modern/, trained from the same
seeds, starts and batches, and judged.

`engine` trains both sides for one seed (and applies a negative control
from `perturbations`), `verdict` decides match or mismatch, `metrics`
compares the learned codes, `report` writes report.json (its schema beside
it), `summary` the terminal table, `plots` the two-sided figures.
`compare.py` is its command line. The only package that imports both
implementations; importing it imports no TensorFlow.
"""
