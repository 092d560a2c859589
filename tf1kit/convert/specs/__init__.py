"""One module per TF1 construct tf1-convert lifts to a Keras layer, each
with its whole knowledge in one place: the ops it matches (`match`), the
layer it becomes in each mode (`layer`), the faithful pieces that layer
imports (`imports`), and what its call reads and passes (`inputs`,
`call_arguments`). Each module's `SPEC` is found here by itself: adding a
construct is one module in this folder, plus, where stock Keras changes
the bits, one faithful piece in tf1kit/keras/.

- `base`: the Layer a pattern lifts, the Spec interface, shared pattern pieces
- every other module: one construct, its docstring says which
"""

import importlib
import pkgutil

# Every construct, in the order their patterns are tried at an op.
SPECS = tuple(sorted((importlib.import_module(f"{__name__}.{module.name}").SPEC
                      for module in pkgutil.iter_modules(__path__) if module.name != "base"),
                     key=lambda spec: spec.order))
BY_KIND = {kind: spec for spec in SPECS for kind in spec.kinds}
