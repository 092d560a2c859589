"""Throughput benchmarks: the legacy loop, the modern step, the in-graph loop, Keras fit."""
