"""The rewrite's source: a keras.Model with the script's names, its loss, its
optimizer, a training step and a main that trains as the script did or,
with --against, proves itself against the script's trace. Each layer and
expression is tagged with the script lines it replaces."""

from __future__ import annotations

import os
from dataclasses import dataclass

from convert.optimizers import optimizer_source
from convert.program import Program


@dataclass
class Setting:
    """How the script trained, as its trace and source say."""
    script: str           # its file name
    mode: str             # exact | idiomatic
    batch_size: int
    loop: tuple           # ("EPOCHS" | "STEPS", count, tag)
    optimizer: dict       # the trace manifest's optimizers[0], with "line"
    data_tag: str         # the script's read_data_sets line
    one_hot: bool
    feeds: dict           # the step's arguments -> "images" | "labels" | a constant's name
    constants: dict       # argument -> the number the script fed it in every call
    placeholders: dict    # argument -> the script's feed name


def source(program: Program, setting: Setting) -> str:
    """The rewrite, as text."""
    stem = os.path.splitext(setting.script)[0]
    constants = setting.constants
    imports = _imports(program, setting)
    parts = [_docstring(stem, setting), imports, _constants(program, setting, constants),
             _model(program, setting, constants), _loss(program), _train_step(program, setting),
             _feeds(setting, constants), _main(program, setting)]
    return "\n\n\n".join(part for part in parts[1:] if part).join(
        [parts[0] + "\n\n", "\n"])


def _docstring(stem: str, setting: Setting) -> str:
    exact = setting.mode == "exact"
    lines = [f'"""{setting.script} in Keras 3, written by tf1-convert ({setting.mode} mode) from',
             "the script's graph; each layer carries the script lines it replaces.", "",
             f"    python {stem}_keras.py --data-dir DATA                         "
             f"# trains as {setting.script} did",
             f"    python {stem}_keras.py --data-dir DATA --against original.npz  "
             "# proves it", "",
             "--against starts from the weights of the script's trace (tf1-run --trace),",
             "trains on its batches and random draws, and compares every step with it."]
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
    lines = ["import argparse", "", "import keras", "import tensorflow as tf", "",
             "from convert import runtime"]
    faithful = sorted({"AddBiasDense" if layer.kind == "dense" else "AddBiasConv2D"
                       for layer in program.layers if exact and layer.kind in ("dense", "conv2d")
                       and layer.config.get("bias_op") in ("Add", "AddV2")})
    if faithful:
        lines.append(f"from modern.layers import {', '.join(faithful)}")
    optimizer_import = optimizer_source(setting.optimizer, exact)[1]
    if optimizer_import:
        lines.append(optimizer_import)
    randoms = sorted(({"TF1Dropout"} if exact and "dropout" in kinds else set())
                     | ({"TF1RandomNormal"} if "noise" in kinds else set()))
    if randoms:
        lines.append(f"from modern.tf1_random import {', '.join(randoms)}")
    return "\n".join(lines)


def _constants(program: Program, setting: Setting, constants: dict) -> str:
    name, count, tag = setting.loop
    lines = [f"BATCH_SIZE = {setting.batch_size}  # the batches its training calls were fed",
             f"{name} = {count}  # {tag}"]
    lines += [f"{argument.upper()} = {value!r}  # fed to {argument} in every training call"
              for argument, value in constants.items()]
    lines.append("# The script's variables by layer, under their TF1 names (its trace's).")
    lines.append("ORIGINAL_VARIABLES = {")
    lines += [f"    {layer.name!r}: {layer.variables!r}," for layer in program.layers
              if layer.variables]
    lines.append("}")
    lines.append("# The training step's arguments: the script's placeholders.")
    lines.append(f"PLACEHOLDERS = {setting.placeholders!r}")
    return "\n".join(lines)


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


def _main(program: Program, setting: Setting) -> str:
    name, _, _ = setting.loop
    optimizer = optimizer_source(setting.optimizer, setting.mode == "exact")[0]
    loop = "epochs=EPOCHS" if name == "EPOCHS" else "steps=STEPS"
    exact = "" if setting.mode == "exact" else ", exact=False"
    return "\n".join([
        "def main():",
        f'    parser = argparse.ArgumentParser(description="{setting.script} in Keras 3")',
        '    parser.add_argument("--data-dir", required=True, help="the MNIST folder")',
        '    parser.add_argument("--seed", type=int, default=0, help="the shuffle\'s seed")',
        '    parser.add_argument("--against", metavar="TRACE.npz",',
        '                        help="prove the rewrite against the script\'s trace")',
        '    parser.add_argument("--out", default="rewrite.npz",',
        '                        help="with --against: where the rewrite\'s trace goes")',
        "    args = parser.parse_args()",
        f"    # {setting.data_tag}",
        f"    images, labels = runtime.read_data_sets(args.data_dir, one_hot={setting.one_hot}"
        f"{exact})",
        f"    model = {program.model_class}()",
        f"    # {setting.optimizer['line']}",
        f"    optimizer = {optimizer}",
        "    train_step = make_train_step(model, optimizer)",
        "    if args.against:",
        "        rewrite = runtime.Rewrite(model, optimizer, train_step,",
        "                                  lambda indices: feeds(images, labels, indices),",
        "                                  ORIGINAL_VARIABLES, PLACEHOLDERS)",
        "        return runtime.prove(args.against, rewrite, args.out)",
        "    last_epoch = 0",
        "    for epoch, indices in runtime.batches(len(images), BATCH_SIZE, args.seed, "
        f"{loop}):",
        "        if epoch != last_epoch:",
        '            print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")',
        "            last_epoch = epoch",
        "        loss = train_step(**feeds(images, labels, indices))",
        '    print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")',
        '    print("Optimization Finished!")',
        "    return 0", "", "",
        'if __name__ == "__main__":',
        "    raise SystemExit(main())"])
