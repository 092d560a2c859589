"""The rewrite's source: its data read as the script's loader read it, a
keras.Model with the script's names, its loss, its optimizer, a training
step and a plain loop that trains as the script did. Each layer and
expression is tagged with the script lines it replaces. Each layer's
constructor and imports come from its construct's spec (specs/); the text
from the source writer (source.py). The rewrite holds no proof harness:
`tf1-convert --prove` imports it (tf1kit/convert/prove.py) and pairs it
with the script through the map tf1kit/convert/rewrite.py writes."""

from __future__ import annotations

import contextlib

from dataclasses import dataclass

from tf1kit.convert import emit_data, emit_loop, weight_clips
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
    steps: list | None = None  # several optimizers: each one's (rewrite._steps)
    round: list | None = None  # several optimizers: the order their calls take turns in


def source(program: Program, setting: Setting) -> str:
    """The rewrite, as text."""
    out = Source()
    _docstring(out, setting)
    for part in (_imports, _constants, _read_mnist, _model, _loss, _optimizer, _train_step,
                 emit_loop.feeds, emit_loop.batches, emit_loop.main):
        out.blank(2 if part is not _imports else 1)
        part(out, program, setting)
        if part is _train_step:
            weight_clips.functions(out, setting.steps)  # a WGAN critic's, after its step
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
    for optimizer in [each["optimizer"] for each in emit_loop.optimizers_of(setting)] \
            or [setting.optimizer]:
        faithful |= optimizer_source(optimizer, exact)[1]
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
    rounds = emit_loop.round_batches(setting)
    if rounds > 1:
        out.line(f"ROUND_BATCHES = {rounds}  # the batches each round of its training calls "
                 "took, a call each")
    for argument, value in setting.constants.items():
        out.line(f"{argument.upper()} = {value!r}  # fed to {argument} in every training call")
    if not setting.train_source:  # keras.datasets' arrays keep none aside
        out.line(f"VALIDATION_SIZE = {setting.validation_size}  # the training images "
                 "read_data_sets kept for validation")


def _read_mnist(out: Source, program: Program, setting: Setting) -> None:
    emit_data.read_mnist(out, program, setting)


def _model(out: Source, program: Program, setting: Setting) -> None:
    exact = setting.mode == "exact"
    built_by = f"The network {setting.script} builds" \
        if f"{program.model_name}.py" == setting.script else \
        f"The script's `{program.model_name}`"
    with out.block(f"class {program.model_class}(keras.Model):"):
        out.line(f'"""{built_by}, layer for layer."""')
        out.blank()
        with out.block("def __init__(self):"):
            out.line(f'super().__init__(name="{program.model_name}")')
            for layer in program.layers:
                if layer.reuses is not None:  # the same weights: that layer, called again
                    continue
                out.statement(f"self.{layer.name} = ",
                              BY_KIND[layer.kind].layer(layer, exact, setting.constants))
        out.blank()
        _forward(out, "call", program)
        for each in emit_loop.optimizers_of(setting)[1:]:  # another loss: its own inputs
            out.blank()
            _forward(out, f"call_for_{each['program'].loss_name}", each["program"],
                     f"The forward pass {each['program'].loss_name} reads.")


def _forward(out: Source, method: str, program: Program, docstring: str = "") -> None:
    """A model method computing what the program's loss reads from its inputs."""
    arguments = list(program.inputs.values())
    signature = ", ".join([arguments[0]] + [f"{name}=None" for name in arguments[1:]])
    with out.block(f"def {method}(self, {signature}, training=False):"):
        if docstring:
            out.line(f'"""{docstring}"""')
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
    for index, each in enumerate([each["program"] for each in emit_loop.optimizers_of(setting)]
                                 or [program]):
        if index:
            out.blank(2)
        with out.block(f"def {each.loss_name}({', '.join(each.loss_arguments)}):"):
            _statements(out, each.loss_body)
            for tag in each.loss.tags:
                out.comment(tag)
            out.expression("return ", each.loss.text)


def _optimizer(out: Source, program: Program, setting: Setting) -> None:
    if setting.steps:
        made = emit_loop.optimizers_of(setting)
        with out.block("def make_optimizers():"):
            out.line('"""The script\'s optimizers, in the order it made them."""')
            for each in made:
                _optimizer_statement(out, each["optimizer"], setting, f"{each['name']} = ")
            out.line(f"return {', '.join(each['name'] for each in made)}")
        return
    with out.block("def make_optimizer():"):
        _optimizer_statement(out, setting.optimizer, setting, "return ")


def _optimizer_statement(out: Source, optimizer: dict, setting: Setting, target: str) -> None:
    """`target` + the optimizer's Keras 3 expression, under its schedule and tag."""
    expression, _, schedule = optimizer_source(optimizer, setting.mode == "exact")
    if schedule is not None:
        text, line = schedule
        if line:
            out.comment(line)
        out.expression("learning_rate = ", text)
    out.comment(optimizer["line"])
    out.line(f"{target}{expression}")


def _train_step(out: Source, program: Program, setting: Setting) -> None:
    calls = emit_loop.calls_of(program, setting)
    several = setting.steps is not None
    with out.block("def make_train_steps(model, optimizers):" if len(calls) > 1 else
                   "def make_train_step(model, optimizers):" if several else
                   "def make_train_step(model, optimizer):"):
        if len(calls) > 1:
            out.line('"""One function per kind of the script\'s training calls."""')
        elif several:
            out.line('"""The script\'s training call, which runs its optimizers together."""')
        if several:
            out.line(f"{', '.join(each['name'] for each in emit_loop.optimizers_of(setting))}"
                     " = optimizers")
        else:
            out.line('"""One training call of the script (its Session.run of the train op)."""')
        if setting.mode == "exact" and any(each["program"].nested_sums for call in calls
                                           for each in call["optimizers"]):
            out.comment("FAITHFUL DEVIATION: in TF1's graph every sum on the gradient path has a")
            out.comment("Shape reader, so Grappler adds as written; in a tf.function it folds a")
            out.comment("sum of sums into one AddN, another order (MIGRATION.md T22)")
            out.line('tf.config.optimizer.set_experimental_options({"arithmetic_optimization": '
                     'False})')
        for call in calls:
            out.blank()
            _step_function(out, call, setting)
        out.blank()
        out.line("return " + (", ".join(f"{call['name']}_step" for call in calls)
                              if several else "train_step"))  # (one call: its function)


def _step_function(out: Source, call: dict, setting: Setting) -> None:
    """The tf.function of one kind of training call: for each optimizer it
    runs, the forward pass its loss reads (the model's `call`, or
    `call_for_<loss>`), the loss, the gradients of the weights it trains
    (its var_list; None: all) clipped as the script clipped them, and the
    update; where the call runs several, every gradient before any update,
    as one Session.run computed them from the same weights."""
    feeds, optimizers = call["feeds"], call["optimizers"]
    several = len(optimizers) > 1
    first = optimizers[0]["program"]
    _decorator(out, first, setting, feeds)
    name = "train_step" if setting.steps is None else f"{call['name']}_step"
    with out.block(f"def {name}({', '.join(feeds)}):"):
        for argument, role in feeds.items():
            # MNIST's digits are uint8; TF1 converted them to the placeholder's dtype.
            if role == "labels" and not setting.one_hot \
                    and first.dtypes.get(argument) not in (None, "uint8"):
                out.line(f"{argument} = tf.cast({argument}, tf.{first.dtypes[argument]})  "
                         f"# fed to a {first.dtypes[argument]} placeholder")
        for each in optimizers:
            program = each["program"]
            arguments = list(program.inputs.values())
            given = ", ".join([arguments[0]] + [f"{name}={name}" for name in arguments[1:]])
            method = "" if each["index"] == 0 else f".call_for_{program.loss_name}"
            loss = f"{program.loss_name}_value" if several else "loss"
            prefix = f"{each['name']}_" if several else ""
            by_name = setting.mode == "exact" and any(layer.kind == "recurrent"
                                                      for layer in program.layers)
            with out.block("with tf.GradientTape() as tape:") if not by_name else \
                    contextlib.nullcontext():
                out.statement(f"{', '.join(program.output_names)} = ",
                              Call(f"model{method}", [given, "training=True"]))
                out.line(f"{loss} = {program.loss_name}({', '.join(program.loss_arguments)})")
            variables = "model.trainable_variables"
            if each["weights"] is not None:  # the script's var_list
                variables = f"{prefix}variables"
                out.statement(f"{variables} = ", Call("", each["weights"], "[]"))
            if by_name:
                out.comment("FAITHFUL DEVIATION: TF1's gradients as its minimize built them, under")
                out.comment("its op names: a weight read at every time step gets a sum whose terms")
                out.comment("Grappler orders by name (MIGRATION.md T32)")
                out.line(f"{prefix}gradients = tf.gradients({loss}, {variables}, "
                         "gate_gradients=True)")
            else:
                out.line(f"{prefix}gradients = tape.gradient({loss}, {variables})")
            _clip(out, each["optimizer"].get("clip"), f"{prefix}gradients")
            if not several:
                out.line(f"{each['name']}.apply_gradients(zip(gradients, {variables}))")
        if several:
            out.comment("MIGRATION TRAP: the script ran these train ops in one Session.run, in")
            out.comment("the order TF1's executor chose: where an update ran before the other's")
            out.comment("gradient read that weight, TF1's step differs (two runs of the script")
            out.comment("with one seed can differ: MIGRATION.md T25). Here: every gradient from")
            out.comment("the same weights, then the updates")
            for each in optimizers:
                out.line(f"{each['name']}.apply_gradients(zip({each['name']}_gradients, "
                         f"{each['name']}_variables))")
        out.line("return " + (", ".join(f"{each['program'].loss_name}_value"
                                        for each in optimizers) if several else "loss"))


def _decorator(out: Source, program: Program, setting: Setting, feeds: dict) -> None:
    """`@tf.function`; in exact mode with the feeds' shapes as the script's
    placeholders had them (the batch open): gradient code built for known
    shapes takes other paths, other bits (MIGRATION.md T24)."""
    if setting.mode != "exact":
        out.line("@tf.function")
        return
    out.comment("FAITHFUL DEVIATION: each feed's shape as the script's placeholder had it,")
    out.comment("the batch open: the gradients of known shapes round otherwise (MIGRATION.md T24)")
    with out.block("@tf.function(input_signature=[", "])"):
        for name, role in feeds.items():
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


def _clip(out: Source, clip: dict | None, gradients: str = "gradients") -> None:
    """The script's clipping of its gradients (tf1kit/run/schedules.py recorded it)."""
    if not clip:
        return
    if clip.get("line"):
        out.comment(clip["line"])
    arguments = [f"{name}={value!r}" for name, value in clip["arguments"].items()]
    if clip["function"] == "clip_by_global_norm":
        out.statement(f"{gradients}, _ = ", Call("tf.clip_by_global_norm",
                                                  [gradients, *arguments]))
    else:
        out.statement(f"{gradients} = ", Call(f"[tf.{clip['function']}",
                                              ["gradient", *arguments],
                                              ("(", f") for gradient in {gradients}]")))
