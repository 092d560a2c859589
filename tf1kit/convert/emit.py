"""The rewrite's source: its data read as the script's loader read it, a
keras.Model with the script's names, its loss, its optimizer, a training
step and a plain loop that trains as the script did. Each layer and
expression is tagged with the script lines it replaces. Each layer's
constructor and imports come from its construct's spec (specs/); the text
from the source writer (source.py). The rewrite holds no proof harness:
`tf1-convert --prove` imports it (tf1kit/convert/prove.py) and pairs it
with the script through the map tf1kit/convert/rewrite.py writes."""

from __future__ import annotations

from dataclasses import dataclass

from tf1kit.convert import emit_data
from tf1kit.convert.optimizers import optimizer_source
from tf1kit.convert.program import Program
from tf1kit.convert.source import WIDTH, Call, Source
from tf1kit.convert.specs import BY_KIND
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
    validation_size: int = VALIDATION_SIZE  # the training images read_data_sets kept aside
    in_order: bool = False  # batches cut in the data's order (no next_batch, no shuffle)
    train_source: dict | None = None  # keras.datasets arrays (tf1-run told their scaling)
    draw: dict | None = None  # the script draws each batch's examples itself (source_facts)
    images_shape: list | None = None  # read_data_sets' images as the script reshaped them
    draws: dict | None = None  # argument -> the NumPy draw the script fed it (its "tag")


def source(program: Program, setting: Setting) -> str:
    """The rewrite, as text."""
    out = Source()
    _docstring(out, setting)
    for part in (_imports, _constants, _read_mnist, _model, _loss, _optimizer, _train_step,
                 _feeds, _batches, _main):
        out.blank(2 if part is not _imports else 1)
        part(out, program, setting)
    return out.text()


def _docstring(out: Source, setting: Setting) -> None:
    out.line(f'"""{setting.script} in Keras 3, written by tf1-convert ({setting.mode} mode)')
    out.line("from the script's graph; each layer carries the script lines it replaces.")
    out.blank()
    out.line(f"    python {setting.output} --data-dir DATA    # trains as {setting.script} did")
    out.blank()
    out.line("Its proof against the script's trace, with the trace and the map")
    out.line(f"tf1-convert wrote beside it: tf1-convert --prove {setting.output} --data-dir DATA")
    out.blank()
    if setting.mode == "exact":
        out.line("Exact mode keeps TF1's arithmetic where stock Keras changes the bits")
        out.line("(MIGRATION.md): each bias added by the script's op and differentiated")
        out.line("as TF1 did (AddBiasDense T4, BiasAddConv2D T23), TF1's optimizer")
        out.line("formula, TF1's random streams, images * (1 / 255) (T11).")
    else:
        out.line("Idiomatic mode uses stock Keras throughout: it trains like the script")
        out.line("but not to the bit (MIGRATION.md lists what differs).")
    out.line('"""')


def _imports(out: Source, program: Program, setting: Setting) -> None:
    exact = setting.mode == "exact"
    faithful = set().union(*(BY_KIND[layer.kind].imports(layer, exact)
                             for layer in program.layers))
    faithful |= optimizer_source(setting.optimizer, exact)[1]
    for name in ("argparse", "gzip", "os", "", "keras", "numpy as np", "tensorflow as tf"):
        out.line(f"import {name}" if name else "")
    if faithful:
        out.blank()
        names = ", ".join(sorted(faithful))
        if len(f"from tf1kit.keras import {names}") <= WIDTH:
            out.line(f"from tf1kit.keras import {names}")
        else:
            out.statement("from tf1kit.keras import ", Call("", sorted(faithful)))


def _constants(out: Source, program: Program, setting: Setting) -> None:
    name, count, tag = setting.loop
    out.line(f"BATCH_SIZE = {setting.batch_size}  # the batches its training calls were fed")
    out.line(f"{name} = {count}  # {tag}")
    for argument, value in setting.constants.items():
        out.line(f"{argument.upper()} = {value!r}  # fed to {argument} in every training call")
    if not setting.train_source:  # keras.datasets' arrays keep none aside
        out.line(f"VALIDATION_SIZE = {setting.validation_size}  # the training images "
                 "read_data_sets kept for validation")


def _read_mnist(out: Source, program: Program, setting: Setting) -> None:
    emit_data.read_mnist(out, program, setting)


def _model(out: Source, program: Program, setting: Setting) -> None:
    exact = setting.mode == "exact"
    arguments = list(program.inputs.values())
    signature = ", ".join([arguments[0]] + [f"{name}=None" for name in arguments[1:]])
    built_by = f"The network {setting.script} builds" \
        if f"{program.model_name}.py" == setting.script else \
        f"The script's `{program.model_name}`"
    with out.block(f"class {program.model_class}(keras.Model):"):
        out.line(f'"""{built_by}, layer for layer."""')
        out.blank()
        with out.block("def __init__(self):"):
            out.line(f'super().__init__(name="{program.model_name}")')
            for layer in program.layers:
                out.statement(f"self.{layer.name} = ",
                              BY_KIND[layer.kind].layer(layer, exact, setting.constants))
        out.blank()
        with out.block(f"def call(self, {signature}, training=False):"):
            for name, tag in program.fed_over.items():
                out.comment(tag)
                out.comment(f"(the script fed {name} itself: what its line computes never ran "
                            "in training)")
            _statements(out, program.body)
            out.line(f"return {', '.join(program.outputs)}")


def _statements(out: Source, statements: list) -> None:
    """`target = text` for each statement, under the script lines it replaces."""
    for statement in statements:
        for tag in statement.tags:
            out.comment(tag)
        out.expression(f"{statement.target} = ", statement.text)


def _loss(out: Source, program: Program, setting: Setting) -> None:
    with out.block(f"def {program.loss_name}({', '.join(program.loss_arguments)}):"):
        _statements(out, program.loss_body)
        for tag in program.loss.tags:
            out.comment(tag)
        out.expression("return ", program.loss.text)


def _optimizer(out: Source, program: Program, setting: Setting) -> None:
    expression, _, schedule = optimizer_source(setting.optimizer, setting.mode == "exact")
    with out.block("def make_optimizer():"):
        if schedule is not None:
            text, line = schedule
            if line:
                out.comment(line)
            out.expression("learning_rate = ", text)
        out.comment(setting.optimizer["line"])
        out.line(f"return {expression}")


def _train_step(out: Source, program: Program, setting: Setting) -> None:
    model_arguments = list(program.inputs.values())
    call = ", ".join([model_arguments[0]] + [f"{name}={name}" for name in model_arguments[1:]])
    with out.block("def make_train_step(model, optimizer):"):
        out.line('"""One training call of the script (its Session.run of the train op)."""')
        if setting.mode == "exact" and program.nested_sums:
            out.comment("FAITHFUL DEVIATION: in TF1's graph every sum on the gradient path has a")
            out.comment("Shape reader, so Grappler adds as written; in a tf.function it folds a")
            out.comment("sum of sums into one AddN, another order (MIGRATION.md T22)")
            out.line('tf.config.optimizer.set_experimental_options({"arithmetic_optimization": '
                     'False})')
        out.blank()
        _decorator(out, program, setting)
        with out.block(f"def train_step({', '.join(setting.feeds)}):"):
            for name, role in setting.feeds.items():
                # MNIST's digits are uint8; TF1 converted them to the placeholder's dtype.
                if role == "labels" and not setting.one_hot \
                        and program.dtypes.get(name) not in (None, "uint8"):
                    out.line(f"{name} = tf.cast({name}, tf.{program.dtypes[name]})  "
                             f"# fed to a {program.dtypes[name]} placeholder")
            with out.block("with tf.GradientTape() as tape:"):
                out.line(f"{', '.join(program.output_names)} = model({call}, training=True)")
                out.line(f"loss = {program.loss_name}({', '.join(program.loss_arguments)})")
            out.line("gradients = tape.gradient(loss, model.trainable_variables)")
            _clip(out, setting.optimizer.get("clip"))
            out.line("optimizer.apply_gradients(zip(gradients, model.trainable_variables))")
            out.line("return loss")
        out.blank()
        out.line("return train_step")


def _decorator(out: Source, program: Program, setting: Setting) -> None:
    """`@tf.function`; in exact mode with the feeds' shapes as the script's
    placeholders had them (the batch open): gradient code built for known
    shapes takes other paths, other bits (MIGRATION.md T24)."""
    if setting.mode != "exact":
        out.line("@tf.function")
        return
    out.comment("FAITHFUL DEVIATION: each feed's shape as the script's placeholder had it,")
    out.comment("the batch open: the gradients of known shapes round otherwise (MIGRATION.md T24)")
    with out.block("@tf.function(input_signature=[", "])"):
        for name, role in setting.feeds.items():
            shape = program.shapes.get(name)
            if shape is None and role not in ("images", "labels"):
                shape = []  # a placeholder of no shape fed a number: the number's
            shape = "None" if shape is None else repr([None if size in (-1, None) else size
                                                      for size in shape])
            out.line(f"tf.TensorSpec({shape}, tf.{_feed_dtype(name, role, program, setting)}, "
                     f"name=\"{name}\"),")


def _feed_dtype(argument: str, role: str, program: Program, setting: Setting) -> str:
    """The dtype of what `feeds` gives the step for a role: the images'
    (emit_data.images_dtype), the labels' (uint8 digits or float32
    one-hot), a number's."""
    if role == "images":
        return emit_data.images_dtype(setting.train_source,
                                      program.dtypes.get(argument, "float32"))
    if role == "labels":
        return "float32" if setting.one_hot else "uint8"
    if role == "drawn":
        return program.dtypes.get(argument, "float32")
    value = setting.constants.get(argument)
    return "bool" if isinstance(value, bool) else "int32" if isinstance(value, int) else "float32"


def _clip(out: Source, clip: dict | None) -> None:
    """The script's clipping of its gradients (tf1kit/run/schedules.py recorded it)."""
    if not clip:
        return
    if clip.get("line"):
        out.comment(clip["line"])
    arguments = [f"{name}={value!r}" for name, value in clip["arguments"].items()]
    if clip["function"] == "clip_by_global_norm":
        out.statement("gradients, _ = ", Call("tf.clip_by_global_norm",
                                               ["gradients", *arguments]))
    else:
        out.statement("gradients = ", Call(f"[tf.{clip['function']}",
                                           ["gradient", *arguments],
                                           ("(", ") for gradient in gradients]")))


def _feeds(out: Source, program: Program, setting: Setting) -> None:
    values = [f'"{argument}": ' + (f"{role}[indices]" if role in ("images", "labels") else
                                   argument if role == "drawn" else
                                   f"tf.constant({role})")  # a tensor, as the script fed it
              for argument, role in setting.feeds.items()]
    draws = setting.draws or {}
    with out.block(f"def feeds(images, labels, indices{', rng' if draws else ''}):"):
        if draws:
            out.line('"""The training call\'s feed_dict for the examples `indices`, with the')
            out.line('arrays the script drew for it, drawn from `rng`."""')
        else:
            out.line('"""The training call\'s feed_dict for the examples `indices`."""')
        for argument, draw in draws.items():
            out.comment(draw["tag"])
            out.statement(f"{argument} = ", _drawn(draw, setting.batch_size,
                                                   program.dtypes.get(argument, "float32")))
        out.statement("return ", Call("", values, "{}"))


def _drawn(draw: dict, batch_size: int, dtype: str) -> Call:
    """A NumPy draw the script fed (tf1kit/run/numpy_draws.py) as a
    Generator's: the same distribution and numbers, a batch-sized first
    dimension as the batch's, converted as TF1's feed converted it."""
    size = draw["size"]
    arguments = [repr(value) for value in draw["arguments"]]
    if size is not None:
        dimensions = ["len(indices)" if index == 0 and dimension == batch_size else str(dimension)
                      for index, dimension in enumerate(size)]
        arguments.append(f"size=({', '.join(dimensions)}{',' if len(size) == 1 else ''})")
    return Call(f"rng.{draw['function']}", arguments, ("(", f").astype(np.{dtype})"))


def _batches(out: Source, program: Program, setting: Setting) -> None:
    """The batches the rewrite trains on: shuffled anew every epoch (where
    the script's `next_batch` shuffled), or, where the script cut them
    itself in the data's order, those slices."""
    epochs, shuffled = setting.loop[0] == "EPOCHS", not setting.in_order
    if setting.draw and shuffled:
        _drawn_batches(out, setting, epochs)
        return
    with out.block(f"def batches(examples{', seed' if shuffled else ''}):"):
        said = "EPOCHS passes over the examples" if epochs else "STEPS batches"
        if shuffled:
            out.line(f'"""(epoch, indices) of each training batch, {said}, shuffled')
            out.line('anew every epoch."""')
            out.line("rng = np.random.default_rng(seed)")
        else:
            out.line(f'"""(epoch, indices) of each training batch, {said}, in the')
            out.line('examples\' order, as the script sliced them (it shuffles nothing)."""')
        if not epochs:
            out.line("served, epoch = 0, 0")
        with out.block("for epoch in range(EPOCHS):" if epochs else "while True:"):
            if shuffled:
                out.line("order = rng.permutation(examples)")
            with out.block("for start in range(0, examples - BATCH_SIZE + 1, BATCH_SIZE):"):
                if not epochs:
                    with out.block("if served == STEPS:"):
                        out.line("return")
                    out.line("served += 1")
                out.line("yield epoch, order[start:start + BATCH_SIZE]" if shuffled else
                         "yield epoch, np.arange(start, start + BATCH_SIZE)")
            if not epochs:
                out.line("epoch += 1")


def _drawn_batches(out: Source, setting: Setting, epochs: bool) -> None:
    """Each batch's examples drawn at random, as the script drew them."""
    replace = setting.draw["replace"]
    with out.block("def batches(examples, seed):"):
        said = "EPOCHS passes of examples // BATCH_SIZE" if epochs else "STEPS batches"
        out.line(f'"""(epoch, indices) of each training batch, drawn at random '
                 f'{"with" if replace else "without"}')
        out.line(f'replacement as the script drew them: {said}."""')
        out.comment(setting.draw["tag"])
        out.line("rng = np.random.default_rng(seed)")
        draw = f"rng.choice(examples, BATCH_SIZE, replace={replace})"
        if epochs:
            with out.block("for epoch in range(EPOCHS):"):
                with out.block("for _ in range(examples // BATCH_SIZE):"):
                    out.line(f"yield epoch, {draw}")
        else:
            with out.block("for step in range(STEPS):"):
                out.line(f"yield step * BATCH_SIZE // examples, {draw}")


def _main(out: Source, program: Program, setting: Setting) -> None:
    with out.block("def main():"):
        out.line(f'parser = argparse.ArgumentParser(description="{setting.script} in Keras 3")')
        out.line('parser.add_argument("--data-dir", required=True,')
        out.line('                    help="the MNIST folder (its four IDX .gz files)")')
        if not setting.in_order or setting.draws:
            seeded = ["the shuffle's"] * (not setting.in_order) + ["the draws'"] * bool(
                setting.draws)
            out.line('parser.add_argument("--seed", type=int, default=0, '
                     f'help="{" and ".join(seeded)} seed")')
        out.line("args = parser.parse_args()")
        out.line("images, labels = read_mnist(args.data_dir)")
        with out.block("if len(images) < BATCH_SIZE:  # one line, not a loop that never trains"):
            out.line('raise SystemExit(f"error: {len(images)} training examples, fewer than one '
                     'batch "')
            if setting.train_source:
                out.line('                 f"of {BATCH_SIZE}")')
            else:
                out.line('                 f"of {BATCH_SIZE} (read_data_sets keeps the first "')
                out.line('                 f"{VALIDATION_SIZE:,} for validation)")')
        out.line(f"model = {program.model_class}()")
        out.line("optimizer = make_optimizer()")
        out.line("train_step = make_train_step(model, optimizer)")
        if setting.draws:
            out.line("rng = np.random.default_rng([args.seed, 1])  # the draws' own stream")
        out.line("last_epoch, loss = 0, None")
        batches = "batches(len(images))" if setting.in_order else \
            "batches(len(images), args.seed)"
        with out.block(f"for epoch, indices in {batches}:"):
            with out.block("if epoch != last_epoch:"):
                out.line('print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")')
                out.line("last_epoch = epoch")
            out.line(f"loss = train_step(**feeds(images, labels, indices"
                     f"{', rng' if setting.draws else ''}))")
        out.line('print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")')
        out.line('print("Optimization Finished!")')
        out.line("return 0")
    out.blank(2)
    with out.block('if __name__ == "__main__":'):
        out.line("raise SystemExit(main())")
