"""The rewrite's source: its data read as the script's loader read it, a
keras.Model with the script's names, its loss, its optimizer, a training
step and a plain loop that trains as the script did. Each layer and
expression is tagged with the script lines it replaces. The rewrite holds
no proof harness: `tf1-convert --prove` imports it (tf1kit/convert/prove.py)
and pairs it with the script through the map `mapping` writes."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tf1kit.convert.optimizers import optimizer_source
from tf1kit.convert.program import Program
from tf1kit.data.mnist import VALIDATION_SIZE


@dataclass
class Setting:
    """How the script trained, as its trace and source say."""
    script: str           # its file name
    output: str           # the rewrite's file name
    mode: str             # exact | idiomatic
    batch_size: int
    loop: tuple           # ("EPOCHS" | "STEPS", count, tag)
    optimizer: dict       # the trace manifest's optimizers[0], with "line"
    data_tag: str         # the script's read_data_sets line
    one_hot: bool
    feeds: dict           # the step's arguments -> "images" | "labels" | a constant's name
    constants: dict       # argument -> the number the script fed it in every call


def source(program: Program, setting: Setting) -> str:
    """The rewrite, as text."""
    stem = os.path.splitext(setting.script)[0]
    constants = setting.constants
    imports = _imports(program, setting)
    parts = [_docstring(stem, setting), imports, _constants(program, setting, constants),
             _read_mnist(setting), _model(program, setting, constants), _loss(program),
             _optimizer(setting), _train_step(program, setting), _feeds(setting, constants),
             _batches(setting), _main(program, setting)]
    return "\n\n\n".join(part for part in parts[1:] if part).join(
        [parts[0] + "\n\n", "\n"])


def _docstring(stem: str, setting: Setting) -> str:
    exact = setting.mode == "exact"
    lines = [f'"""{setting.script} in Keras 3, written by tf1-convert ({setting.mode} mode) from',
             "the script's graph; each layer carries the script lines it replaces.", "",
             f"    python {setting.output} --data-dir DATA    # trains as {setting.script} did", "",
             "tf1-convert proved it against the script's trace (tf1-convert --prove",
             f"{setting.output} --data-dir DATA: the trace and the map it wrote beside it)."]
    if exact:
        lines += ["", "Exact mode keeps TF1's arithmetic where stock Keras changes the bits",
                  "(MIGRATION.md): the bias added by tf.add (AddBiasDense, T4), TF1's",
                  "optimizer formula, TF1's random streams, images * (1 / 255) (T11)."]
    else:
        lines += ["", "Idiomatic mode uses stock Keras throughout: it trains like the script",
                  "but not to the bit (MIGRATION.md lists what differs)."]
    return "\n".join(lines) + '\n"""'


def _imports(program: Program, setting: Setting) -> str:
    kinds = {layer.kind for layer in program.layers}
    exact = setting.mode == "exact"
    faithful = {"AddBiasDense" if layer.kind == "dense" else "AddBiasConv2D"
                for layer in program.layers if exact and layer.kind in ("dense", "conv2d")
                and layer.config.get("bias_op") in ("Add", "AddV2")}
    optimizer_import = optimizer_source(setting.optimizer, exact)[1]
    if optimizer_import:
        faithful.add(optimizer_import)
    faithful |= ({"TF1Dropout"} if exact and "dropout" in kinds else set()) \
        | ({"TF1RandomNormal"} if "noise" in kinds else set())
    lines = ["import argparse", "import gzip", "import os", "", "import keras",
             "import numpy as np", "import tensorflow as tf"]
    if faithful:
        lines += ["", f"from tf1kit.keras import {', '.join(sorted(faithful))}"]
    return "\n".join(lines)


def _constants(program: Program, setting: Setting, constants: dict) -> str:
    name, count, tag = setting.loop
    lines = [f"BATCH_SIZE = {setting.batch_size}  # the batches its training calls were fed",
             f"{name} = {count}  # {tag}"]
    lines += [f"{argument.upper()} = {value!r}  # fed to {argument} in every training call"
              for argument, value in constants.items()]
    lines.append(f"VALIDATION_SIZE = {VALIDATION_SIZE}  # the training images read_data_sets kept "
                 "for validation")
    return "\n".join(lines)


def _read_mnist(setting: Setting) -> str:
    exact = setting.mode == "exact"
    labels = "np.eye(10, dtype=np.float32)[labels]" if setting.one_hot else "labels"
    scaled = ["    # TF1's loader multiplied by 1 / 255, which is not x / 255 on every pixel",
              "    # (MIGRATION.md T11)",
              "    images = np.multiply(images.astype(np.float32), 1.0 / 255.0)"] if exact else \
        ['    images = images.astype("float32") / 255.0']
    return "\n".join([
        "def read_mnist(data_dir):",
        f'    """The training split {setting.script}\'s read_data_sets served: images as 784',
        "    floats in [0, 1], labels " + ("one-hot" if setting.one_hot else "as digits") + '."""',
        f"    # {setting.data_tag}",
        '    with gzip.open(os.path.join(data_dir, "train-images-idx3-ubyte.gz")) as stream:',
        "        images = np.frombuffer(stream.read(), np.uint8, offset=16).reshape(-1, 784)",
        '    with gzip.open(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")) as stream:',
        "        labels = np.frombuffer(stream.read(), np.uint8, offset=8)",
        "    images, labels = images[VALIDATION_SIZE:], labels[VALIDATION_SIZE:]",
        *scaled,
        f"    return images, {labels}"])


def _layer(layer, exact: bool, constants: dict) -> str:
    config, name = layer.config, f'name="{layer.name}"'
    activation = f', activation="{config["activation"]}"' if "activation" in config else ""
    if layer.kind == "dense":
        faithful = exact and config.get("bias_op") in ("Add", "AddV2")
        bias = ", use_bias=False" if config.get("use_bias") is False else ""
        kind = "AddBiasDense" if faithful else "keras.layers.Dense"
        return f"{kind}({config['units']}{activation}{bias}, {name})"
    if layer.kind == "conv2d":
        extra = "".join(f", {key}={config[key]!r}" for key, default in (
            ("strides", (1, 1)), ("dilation_rate", (1, 1))) if config[key] != default)
        bias = ", use_bias=False" if config.get("use_bias") is False else ""
        kind = "AddBiasConv2D" if exact and config.get("bias_op") in ("Add", "AddV2") \
            else "keras.layers.Conv2D"
        return (f"{kind}({config['filters']}, {config['kernel_size']!r}{extra}, "
                f'padding="{config["padding"]}"{activation}{bias}, {name})')
    if layer.kind in ("max_pool", "average_pool"):
        kind = "MaxPooling2D" if layer.kind == "max_pool" else "AveragePooling2D"
        return (f"keras.layers.{kind}({config['pool_size']!r}, {config['strides']!r}, "
                f'padding="{config["padding"]}", {name})')
    if layer.kind == "reshape":
        return f"keras.layers.Reshape({config['target_shape']!r}, {name})"
    if layer.kind == "flatten":
        return f"keras.layers.Flatten({name})"
    if layer.kind == "dropout":
        if exact:
            return (f"TF1Dropout({config['seed']}, {config['seed2']}, "
                    f'op_name="{config["op_name"]}", {name})')
        keep = config.get("keep") or next(
            (argument.upper() for argument in constants), "1.0")
        return f"keras.layers.Dropout(1 - {keep}, seed={config['seed2']}, {name})"
    if layer.kind == "noise":  # no stock layer draws noise of an input's shape
        return (f"TF1RandomNormal({config['seed']}, {config['seed2']}, "
                f'"{config["op_type"]}", mean={config["mean"]}, stddev={config["stddev"]}, '
                f'op_name="{config["op_name"]}", {name})')
    return f'keras.layers.Activation("{config["activation"]}", {name})'


def _model(program: Program, setting: Setting, constants: dict) -> str:
    exact = setting.mode == "exact"
    arguments = list(program.inputs.values())
    signature = ", ".join([arguments[0]] + [f"{name}=None" for name in arguments[1:]])
    built_by = f"The network {setting.script} builds" \
        if f"{program.model_name}.py" == setting.script else \
        f"The script's `{program.model_name}`"
    lines = [f"class {program.model_class}(keras.Model):",
             f'    """{built_by}, layer for layer."""', "",
             "    def __init__(self):",
             f'        super().__init__(name="{program.model_name}")']
    lines += [f"        self.{layer.name} = {_layer(layer, exact, constants)}"
              for layer in program.layers]
    lines += ["", f"    def call(self, {signature}, training=False):"]
    for statement in program.body:
        lines += [f"        # {tag}" for tag in statement.tags]
        lines.append(f"        {statement.target} = {statement.text}")
    lines.append(f"        return {', '.join(program.outputs)}")
    return "\n".join(lines)


def _loss(program: Program) -> str:
    lines = [f"def {program.loss_name}({', '.join(program.loss_arguments)}):"]
    for statement in program.loss_body:
        lines += [f"    # {tag}" for tag in statement.tags]
        lines.append(f"    {statement.target} = {statement.text}")
    return "\n".join(lines + [f"    # {tag}" for tag in program.loss.tags]
                     + [f"    return {program.loss.text}"])


def _optimizer(setting: Setting) -> str:
    optimizer = optimizer_source(setting.optimizer, setting.mode == "exact")[0]
    return "\n".join(["def make_optimizer():", f"    # {setting.optimizer['line']}",
                      f"    return {optimizer}"])


def _train_step(program: Program, setting: Setting) -> str:
    arguments = list(setting.feeds)
    model_arguments = list(program.inputs.values())
    call = ", ".join([model_arguments[0]] + [f"{name}={name}" for name in model_arguments[1:]])
    outputs = ", ".join(program.output_names)
    # MNIST's digits are uint8; TF1 converted them to the placeholder's dtype.
    casts = [f"        {name} = tf.cast({name}, tf.{program.dtypes[name]})  "
             f"# fed to a {program.dtypes[name]} placeholder"
             for name, role in setting.feeds.items()
             if role == "labels" and not setting.one_hot
             and program.dtypes.get(name) not in (None, "uint8")]
    return "\n".join([
        "def make_train_step(model, optimizer):",
        '    """One training call of the script (its Session.run of the train op)."""', "",
        "    @tf.function",
        f"    def train_step({', '.join(arguments)}):",
        *casts,
        "        with tf.GradientTape() as tape:",
        f"            {outputs} = model({call}, training=True)",
        f"            loss = {program.loss_name}({', '.join(program.loss_arguments)})",
        "        gradients = tape.gradient(loss, model.trainable_variables)",
        "        optimizer.apply_gradients(zip(gradients, model.trainable_variables))",
        "        return loss", "",
        "    return train_step"])


def _feeds(setting: Setting, constants: dict) -> str:
    values = []
    for argument, role in setting.feeds.items():
        value = f"{role}[indices]" if role in ("images", "labels") else \
            f"tf.constant({role})"  # a tensor, as the script fed it
        values.append(f'"{argument}": {value}')
    return "\n".join([
        "def feeds(images, labels, indices):",
        '    """The training call\'s feed_dict for the examples `indices`."""',
        f"    return {{{', '.join(values)}}}"])


def _batches(setting: Setting) -> str:
    name, _, _ = setting.loop
    if name == "EPOCHS":
        loop = ["    for epoch in range(EPOCHS):",
                "        order = rng.permutation(examples)",
                "        for start in range(0, examples - BATCH_SIZE + 1, BATCH_SIZE):",
                "            yield epoch, order[start:start + BATCH_SIZE]"]
        said = "EPOCHS passes over the examples"
    else:
        loop = ["    served, epoch = 0, 0",
                "    while True:",
                "        order = rng.permutation(examples)",
                "        for start in range(0, examples - BATCH_SIZE + 1, BATCH_SIZE):",
                "            if served == STEPS:",
                "                return",
                "            served += 1",
                "            yield epoch, order[start:start + BATCH_SIZE]",
                "        epoch += 1"]
        said = "STEPS batches"
    return "\n".join(["def batches(examples, seed):",
                      f'    """(epoch, indices) of each training batch, {said}, shuffled',
                      '    anew every epoch."""',
                      "    rng = np.random.default_rng(seed)", *loop])


def _main(program: Program, setting: Setting) -> str:
    return "\n".join([
        "def main():",
        f'    parser = argparse.ArgumentParser(description="{setting.script} in Keras 3")',
        '    parser.add_argument("--data-dir", required=True,',
        '                        help="the MNIST folder (its four IDX .gz files)")',
        '    parser.add_argument("--seed", type=int, default=0, help="the shuffle\'s seed")',
        "    args = parser.parse_args()",
        "    images, labels = read_mnist(args.data_dir)",
        "    if len(images) < BATCH_SIZE:  # one line, not a loop that never trains",
        '        raise SystemExit(f"error: {len(images)} training examples, fewer than one batch "',
        '                         f"of {BATCH_SIZE} (read_data_sets keeps the first "',
        '                         f"{VALIDATION_SIZE:,} for validation)")',
        f"    model = {program.model_class}()",
        "    optimizer = make_optimizer()",
        "    train_step = make_train_step(model, optimizer)",
        "    last_epoch = 0",
        "    for epoch, indices in batches(len(images), args.seed):",
        "        if epoch != last_epoch:",
        '            print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")',
        "            last_epoch = epoch",
        "        loss = train_step(**feeds(images, labels, indices))",
        '    print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")',
        '    print("Optimization Finished!")',
        "    return 0", "", "",
        'if __name__ == "__main__":',
        "    raise SystemExit(main())"])
