"""The rewrite's loop: `feeds` (each training call's feed_dict: the
batch's examples, the numbers and the NumPy draws the script fed), the
batches it trains on (shuffled per epoch, in order, or drawn as the script
drew them) and `main()`, which trains as the script did, taking turns
where the script has several optimizers. Part of emit.py's text."""

from __future__ import annotations

import textwrap

from tf1kit.convert.source import Call, Source


def calls_of(program, setting) -> list:
    """The kinds of training call the rewrite writes a step for: the
    script's (setting.steps, several optimizers), else its one."""
    return setting.steps or [{"name": "train", "feeds": setting.feeds, "draws": setting.draws,
                              "batch": True, "optimizers": [
                                  {"index": 0, "program": program, "name": "optimizer",
                                   "optimizer": setting.optimizer, "weights": None}]}]


def optimizers_of(setting) -> list:
    """Each optimizer of a script of several, once, in the order it made them."""
    found = {each["index"]: each for call in setting.steps or [] for each in call["optimizers"]}
    return [found[index] for index in sorted(found)]


def _feeds_parameters(call: dict) -> list:
    """What a call's feeds function takes: the data and the batch's
    `indices` where the call takes a batch, `rng` where it draws."""
    return (["images", "labels", "indices"] if call["batch"] else []) + \
        (["rng"] if call["draws"] else [])


def feeds(out: Source, program, setting) -> None:
    """`feeds(images, labels, indices[, rng])`, or, for several optimizers,
    `<call>_feeds(...)` for each kind of training call."""
    for index, step in enumerate(calls_of(program, setting)):
        if index:
            out.blank(2)
        _feeds_function(out, step, setting, step.get("feeds_function", "feeds"))


def _feeds_function(out: Source, step: dict, setting, name: str) -> None:
    """One training call's feed_dict: the batch's examples (where the call
    takes a batch), the numbers, and the arrays the script drew for it."""
    batch = step["batch"]
    values = [f'"{argument}": ' + (f"{role}[indices]" if role in ("images", "labels") else
                                   argument if role == "drawn" else
                                   f"tf.constant({role})")  # a tensor, as the script fed it
              for argument, role in step["feeds"].items()]
    draws = step["draws"] or {}
    dtypes = step["optimizers"][0]["program"].dtypes
    said = "The training call's feed_dict" if not setting.steps else \
        f"The feed_dict of the script's {step['name']} call"
    said += " for the examples `indices`" if batch else ""
    said += ", with the arrays the script drew for it, drawn from `rng`." if draws else "."
    with out.block(f"def {name}({', '.join(_feeds_parameters(step))}):"):
        lines = textwrap.wrap(said, 80)
        for index, line in enumerate(lines):
            out.line(('"""' if index == 0 else "") + line
                     + ('"""' if index == len(lines) - 1 else ""))
        for argument, draw in draws.items():
            out.comment(draw["tag"])
            out.statement(f"{argument} = ", _drawn(draw, setting.batch_size, batch,
                                                   dtypes.get(argument, "float32")))
        out.statement("return ", Call("", values, "{}"))


def _drawn(draw: dict, batch_size: int, batch: bool, dtype: str) -> Call:
    """A NumPy draw the script fed (tf1kit/run/numpy_draws.py) as a
    Generator's: the same distribution and numbers, a batch-sized first
    dimension as the batch's (`batch`: the call takes one, else
    BATCH_SIZE), converted as TF1's feed converted it."""
    size = draw["size"]
    arguments = [repr(value) for value in draw["arguments"]]
    if size is not None:
        rows = "len(indices)" if batch else "BATCH_SIZE"
        dimensions = [rows if index == 0 and dimension == batch_size else str(dimension)
                      for index, dimension in enumerate(size)]
        arguments.append(f"size=({', '.join(dimensions)}{',' if len(size) == 1 else ''})")
    return Call(f"rng.{draw['function']}", arguments, ("(", f").astype(np.{dtype})"))


def batches(out: Source, program, setting) -> None:
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


def _drawn_batches(out: Source, setting, epochs: bool) -> None:
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


def main(out: Source, program, setting) -> None:
    with out.block("def main():"):
        out.line(f'parser = argparse.ArgumentParser(description="{setting.script} in Keras 3")')
        out.line('parser.add_argument("--data-dir", required=True,')
        out.line('                    help="the MNIST folder (its four IDX .gz files)")')
        calls = calls_of(program, setting)
        drawing = any(call["draws"] for call in calls)
        if not setting.in_order or drawing:
            seeded = ["the shuffle's"] * (not setting.in_order) + ["the draws'"] * drawing
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
        if setting.steps:
            out.line("optimizers = make_optimizers()")
            out.statement(f"{', '.join(step['name'] + '_step' for step in setting.steps)} = ",
                          Call("make_train_steps" if len(setting.steps) > 1 else
                               "make_train_step", ["model", "optimizers"]))
        else:
            out.line("optimizer = make_optimizer()")
            out.line("train_step = make_train_step(model, optimizer)")
        if drawing:
            out.line("rng = np.random.default_rng([args.seed, 1])  # the draws' own stream")
        batches = "batches(len(images))" if setting.in_order else \
            "batches(len(images), args.seed)"
        if setting.steps:
            _turns(out, setting, batches)
        else:
            out.line("last_epoch, loss = 0, None")
            with out.block(f"for epoch, indices in {batches}:"):
                with out.block("if epoch != last_epoch:"):
                    out.line('print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")')
                    out.line("last_epoch = epoch")
                out.line(f"loss = train_step(**feeds({', '.join(_feeds_parameters(calls[0]))}))")
            out.line('print(f"Epoch: {last_epoch + 1:04d} loss={float(loss):.9f}")')
        out.line('print("Optimization Finished!")')
        out.line("return 0")
    out.blank(2)
    with out.block('if __name__ == "__main__":'):
        out.line("raise SystemExit(main())")


def _turns(out: Source, setting, batches: str) -> None:
    """The loop of a script of several optimizers: per batch, each one's
    training call in the order the script took turns, each loss kept."""
    def report():
        out.line('print(f"Epoch: {last_epoch + 1:04d}",')
        out.line('      *(f"{name}={float(value):.9f}" for name, value in losses.items()))')
    out.line("last_epoch, losses = 0, {}")
    with out.block(f"for epoch, indices in {batches}:"):
        with out.block("if epoch != last_epoch:"):
            report()
            out.line("last_epoch = epoch")
        for step in (setting.steps[position] for position in setting.round):
            targets = ", ".join(f'losses["{each["program"].loss_name}"]'
                                for each in step["optimizers"])
            out.statement(f"{targets} = ", Call(f"{step['name']}_step", [
                f"**{step['feeds_function']}({', '.join(_feeds_parameters(step))})"]))
    report()
