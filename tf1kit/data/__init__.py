"""MNIST's files and TF1's loader. Importing this package imports no TensorFlow.

- `mnist`: the four IDX files and Keras's mnist.npz, downloaded where
  missing and checked against their published SHA-256, read into uint8 arrays;
  `scale_pixels`: TF1's `* (1.0 / 255.0)`, not `/ 255` (trap T11)
- `idx`, `npz`: the checked readers
- `input_data`: TF1's removed `read_data_sets` / `DataSet.next_batch`, bit for bit
- `tutorial_mnist`: the TF1 tutorials' `mnist` module
- `keras_arrays`: `keras.datasets` arrays a traced script batched itself: its
  batches found and its scaling told; `rows` finds a fed batch's rows among
  a data set's images
"""
