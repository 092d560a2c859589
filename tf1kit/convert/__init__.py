"""tf1-convert: the Keras 3 rewrite of a TF1 script, written from the
script's trace and proven against it (docs/convert.md). Importing this
package imports no TensorFlow; `prove` does, when it proves a rewrite.

- `cli`: the command (`tf1-convert`, `python -m tf1kit.convert`): trace, write, prove
- `graph`: the trace's forward graph, with names from the script's source
- `specs`: one module per TF1 construct: its op pattern, its layer in each mode,
  its imports and call arguments; `recurrent_calls` what a recorded recurrent call
  holds in the graph (its sequence, ops, op scopes, DropoutWrappers), for the
  recurrent spec
- `lift`: the graph's ops lifted to layers by the specs' patterns
- `expressions`: the other ops as the TensorFlow calls that build them; refusals;
  `slicing` the slices, splits, gathers and joins among them
- `program`: the rewrite's layers, model inputs and outputs, loss; `naming` the
  names it gives them (the script's where it has one)
- `optimizers`: TF1 optimizers as Keras 3 source, faithful or stock
- `source_facts`: epochs or steps, and the lines that read data and make the optimizer
- `rewrite`: the trace and data read into a record (`record`), and the rewrite
  and its map written from it (`render`, no TensorFlow); `weight_clips` a WGAN
  critic's clip run after its calls, read from the trace and written; `turns`
  several optimizers' calls taking turns; `state` a batch norm's moving
  statistics as the training calls ran them
- `emit`: the source text, written with `source` (indentation, wrapped calls);
  `emit_data` its `read_mnist` (read_data_sets' split, or keras.datasets' arrays);
  `emit_loop` its feeds, batches and `main()` (several optimizers taking turns)
- `prove`: `tf1-convert --prove REWRITE.py`: the rewrite imported, trained on the
  trace's batches from its start and draws, and compared (tf1-trace-compare);
  `referee` weighs a first differing gradient against the rewrite's float64 one
- `__main__`: `python -m tf1kit.convert`
"""
