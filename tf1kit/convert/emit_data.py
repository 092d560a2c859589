"""The rewrite's `read_mnist(data_dir)`: the training examples as the
script's loader served them, from MNIST's IDX files. TF1's read_data_sets
(its validation split kept aside, TF1's `* (1.0 / 255.0)`: T11), or the
arrays of `tf.keras.datasets` that the script scaled and shaped itself (the
scaling tf1-run told from the fed values: tf1kit/data/keras_arrays.py)."""

from __future__ import annotations

from tf1kit.convert.source import Source
from tf1kit.data.keras_arrays import SCALINGS
from tf1kit.data.mnist import TRAIN_IMAGES, TRAIN_LABELS


def read_mnist(out: Source, program, setting) -> None:
    """`def read_mnist(data_dir)` for the rewrite of `program` (program.Program)
    and `setting` (emit.Setting)."""
    labels = "np.eye(10, dtype=np.float32)[labels]" if setting.one_hot else "labels"
    source = setting.train_source
    with out.block("def read_mnist(data_dir):"):
        if source:
            shape = source["shape"]
            out.line(f'"""The training arrays {setting.script}\'s {source["loader"]}.load_data()')
            out.line(f"served, as the script fed them: images {_shape_words(shape)} "
                     f"scaled by {source['scaling']},")
            out.line("labels " + ("one-hot" if setting.one_hot else "as digits") + '."""')
        else:
            shape = setting.images_shape
            out.line(f'"""The training split {setting.script}\'s read_data_sets served: images as')
            out.line("784 floats in [0, 1], labels " + ("one-hot" if setting.one_hot else
                                                       "as digits")
                     + (f"; the images {_shape_words(shape)} as the script fed them"
                        if shape else "") + '."""')
        out.comment(setting.data_tag)
        for name, stem, offset, reshape in (("images", TRAIN_IMAGES, 16, ".reshape(-1, 784)"),
                                            ("labels", TRAIN_LABELS, 8, "")):
            with out.block(f'with gzip.open(os.path.join(data_dir, "{stem}")) as stream:'):
                out.line(f"{name} = np.frombuffer(stream.read(), np.uint8, "
                         f"offset={offset}){reshape}")
        if source:
            fed = next((argument for argument, role in setting.feeds.items()
                        if role == "images"), None)
            _scaled_as_fed(out, source, program.dtypes.get(fed, "float32"))
        else:
            out.line("images, labels = images[VALIDATION_SIZE:], labels[VALIDATION_SIZE:]")
            if setting.mode == "exact":
                out.comment("TF1's loader multiplied by 1 / 255, which is not x / 255 on every")
                out.comment("pixel (MIGRATION.md T11)")
                out.line("images = np.multiply(images.astype(np.float32), 1.0 / 255.0)")
            else:
                out.line('images = images.astype("float32") / 255.0')
            if setting.images_shape:
                _reshaped(out, setting.images_shape)
        out.line(f"return images, {labels}")


def images_dtype(source: dict | None, placeholder_dtype: str) -> str:
    """The dtype of the images `read_mnist` returns: float32, or, for
    keras.datasets' uint8 fed as they came, the placeholder's (TF1's feed
    converted them to it; a uint8 placeholder kept them)."""
    return placeholder_dtype if source and source["scaling"] == "uint8" else "float32"


def _scaled_as_fed(out: Source, source: dict, placeholder_dtype: str) -> None:
    """The script's own scaling (the float32 its feed held) and shape."""
    if source["scaling"] != "uint8":
        out.comment(f"the script's {source['scaling']}, as the float32 its feed held")
        out.line(f"images = {SCALINGS[source['scaling']][1]}")
    elif images_dtype(source, placeholder_dtype) == "uint8":
        out.comment("fed as uint8: the script's graph converts them")
    else:
        out.comment(f"fed as uint8 to a {placeholder_dtype} placeholder: TF1's feed converted them")
        out.line(f"images = images.astype(np.{placeholder_dtype})")
    if source["shape"] != [784]:
        _reshaped(out, source["shape"])


def _reshaped(out: Source, shape: list) -> None:
    """The images in the shape the script fed them."""
    out.line(f"images = images.reshape(-1, {', '.join(map(str, shape))})")


def _shape_words(shape: list) -> str:
    return "of 784 pixels" if shape == [784] else "shaped " + " x ".join(map(str, shape))
