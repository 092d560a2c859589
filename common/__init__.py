"""What `legacy/` and `modern/` share: hyperparameters, data sources, plots.

Neither implementation imports the other; both import this package. It holds
no TensorFlow graph or model code, only the facts both sides must agree on.
"""
