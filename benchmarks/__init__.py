"""Throughput benchmarks (`python -m benchmarks`): the legacy loop, the
modern step, the in-graph loop and Keras fit, interleaved in one process.

- `throughput`: the rounds, their order and the command line (`__main__`)
- `paths`: the training paths a round runs, each on TF1's batch order
- `references`: two hardware references for "fraction of peak"
- `report`: the Markdown table, the plot, agreement with a previous run
"""
