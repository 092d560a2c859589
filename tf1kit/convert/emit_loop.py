"""The rewrite's loop: `feeds` (each training call's feed_dict: the
batch's examples, the numbers and the NumPy draws the script fed), the
batches it trains on (shuffled per epoch, in order, or drawn as the script
drew them) and `main()`, which trains as the script did, taking turns
where the script has several optimizers. Part of emit.py's text."""

from __future__ import annotations

import contextlib

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
    `indices` where the call takes a batch, `previous_feeds` where it is fed
    again what the call before it took, `rng` where it draws."""
    return (["images", "labels", "indices"] if call["batch"] else []) + \
        (["previous_feeds"] if "shared" in call["feeds"].values() else []) + \
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
                                   f'previous_feeds["{argument}"]' if role == "shared" else
                                   f"tf.constant({role})")  # a tensor, as the script fed it
              for argument, role in step["feeds"].items()]
    draws = step["draws"] or {}
    dtypes = step["optimizers"][0]["program"].dtypes
    said = "The training call's feed_dict" if not setting.steps else \
        f"The feed_dict of the script's {step['name']} call"
    said += " for the examples `indices`" if batch else ""
    said += (", fed again what the call before it took (`previous_feeds`)"
             if "shared" in step["feeds"].values() else "")
    said += ", with the arrays the script drew for it, drawn from `rng`." if draws else "."
    with out.block(f"def {name}({', '.join(_feeds_parameters(step))}):"):
        out.docstring(said)
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


def round_batches(setting) -> int:
    """How many batches a round of the script's training calls takes: one,
    or, where one optimizer trains several times a round on its own batches
    (a GAN's critic: `for _ in range(d_steps)`), that many."""
    if not setting.steps:
        return 1
    return sum(setting.steps[position]["batch"] for position in setting.round)


def batches(out: Source, program, setting) -> None:
    """The batches the rewrite trains on: shuffled anew every epoch (where
    the script's `next_batch` shuffled), or, where the script cut them
    itself in the data's order, those slices; for rounds of several
    batches, each round's list of them."""
    epochs, shuffled = setting.loop[0] == "EPOCHS", not setting.in_order
    several = round_batches(setting) > 1
    if setting.draw and shuffled:
        _drawn_batches(out, setting, epochs, several)
        return
    with out.block(f"def batches(examples{', seed' if shuffled else ''}):"):
        each = "(epoch, [indices of each of ROUND_BATCHES batches]) of each round" if several \
            else "(epoch, indices) of each training batch"
        said = "EPOCHS passes over the examples" if epochs else \
            "STEPS rounds" if several else "STEPS batches"
        if shuffled:
            out.docstring(f"{each}, {said}, shuffled anew every epoch.")
            out.line("rng = np.random.default_rng(seed)")
        else:
            out.docstring(f"{each}, {said}, in the examples' order, as the script sliced them "
                          "(it shuffles nothing).")
        if not epochs:
            out.line("served, epoch = 0, 0")
        size = "size" if several else "BATCH_SIZE"
        if several:
            out.line("size = ROUND_BATCHES * BATCH_SIZE  # the examples of a round")
        with out.block("for epoch in range(EPOCHS):" if epochs else "while True:"):
            if shuffled:
                out.line("order = rng.permutation(examples)")
            with out.block(f"for start in range(0, examples - {size} + 1, {size}):"):
                if not epochs:
                    with out.block("if served == STEPS:"):
                        out.line("return")
                    out.line("served += 1")
                cut = "order[first:first + BATCH_SIZE]" if shuffled else \
                    "np.arange(first, first + BATCH_SIZE)"
                if several:
                    out.line(f"yield epoch, [{cut}")
                    out.line("              for first in range(start, start + size, "
                             "BATCH_SIZE)]")
                else:
                    out.line(f"yield epoch, {cut.replace('first', 'start')}")
            if not epochs:
                out.line("epoch += 1")


def _drawn_batches(out: Source, setting, epochs: bool, several: bool) -> None:
    """Each batch's examples drawn at random, as the script drew them."""
    replace = setting.draw["replace"]
    with out.block("def batches(examples, seed):"):
        said = "EPOCHS passes of examples // BATCH_SIZE" if epochs else "STEPS batches"
        each = "(epoch, [indices of each of ROUND_BATCHES batches]) of each round" if several \
            else "(epoch, indices) of each training batch"
        out.docstring(f"{each}, drawn at random {'with' if replace else 'without'} "
                      f"replacement as the script drew them: {said}.")
        out.comment(setting.draw["tag"])
        out.line("rng = np.random.default_rng(seed)")
        draw = f"rng.choice(examples, BATCH_SIZE, replace={replace})"
        if several:
            draw = f"[{draw} for _ in range(ROUND_BATCHES)]"
        if epochs:
            with out.block("for epoch in range(EPOCHS):"):
                rounds = "examples // (ROUND_BATCHES * BATCH_SIZE)" if several else \
                    "examples // BATCH_SIZE"
                with out.block(f"for _ in range({rounds}):"):
                    out.line(f"yield epoch, {draw}")
        else:
            taken = "ROUND_BATCHES * BATCH_SIZE" if several else "BATCH_SIZE"
            with out.block("for step in range(STEPS):"):
                out.line(f"yield step * {taken} // examples, {draw}")


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
    """The loop of a script of several optimizers: per round, each one's
    training call in the order the script took turns, a call the script
    made several times in a row as a loop (a critic's round of batches),
    each loss kept."""
    def report():
        out.line('print(f"Epoch: {last_epoch + 1:04d}",')
        out.line('      *(f"{name}={float(value):.9f}" for name, value in losses.items()))')
    several = round_batches(setting) > 1
    out.line("last_epoch, losses = 0, {}")
    with out.block(f"for epoch, {'round_indices' if several else 'indices'} in {batches}:"):
        with out.block("if epoch != last_epoch:"):
            report()
            out.line("last_epoch = epoch")
        runs = []  # [position, times in a row]
        for position in setting.round:
            if runs and runs[-1][0] == position:
                runs[-1][1] += 1
            else:
                runs.append([position, 1])
        for index, (position, times) in enumerate(runs):
            step = setting.steps[position]
            following = setting.steps[runs[(index + 1) % len(runs)][0]]
            keep = "shared" in following["feeds"].values()  # the next call is fed them again
            header = "for indices in round_indices:" if step["batch"] and several else \
                f"for _ in range({times}):" if times > 1 else None
            if step["batch"] and several and step.get("loop_tag"):
                out.comment(step["loop_tag"])
            with out.block(header) if header else contextlib.nullcontext():
                targets = ", ".join(f'losses["{each["program"].loss_name}"]'
                                    for each in step["optimizers"])
                feeds_call = f"{step['feeds_function']}({', '.join(_feeds_parameters(step))})"
                if keep:
                    out.line(f"previous_feeds = {feeds_call}")
                out.statement(f"{targets} = ", Call(f"{step['name']}_step", [
                    "**previous_feeds" if keep else f"**{feeds_call}"]))
                if step.get("clip"):
                    out.line(f"{step['clip']['name']}(model)")
    report()
