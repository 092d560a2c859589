"""tf1-convert: the Keras 3 rewrite of a TF1 script, written from the
script's trace and proven against it (docs/convert.md). Importing this
package imports no TensorFlow; `runtime` does, when a rewrite proves itself.

- `cli`: the command (`tf1-convert`, `python -m tf1kit.convert`): trace, write, prove
- `graph`: the trace's forward graph, with names from the script's source
- `lift`: op patterns lifted to Keras layers
- `expressions`: the other ops as the TensorFlow calls that build them; refusals
- `program`: the rewrite's layers, names, model inputs and outputs, loss
- `optimizers`: TF1 optimizers as Keras 3 source, faithful or stock
- `source_facts`: epochs or steps, and the lines that read data and make the optimizer
- `emit`: the source text
- `runtime`: what a written rewrite imports: MNIST as read_data_sets served it,
  batches, the proof against the trace
- `__main__`: `python -m tf1kit.convert`
"""
