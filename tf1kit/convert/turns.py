"""Several optimizers taking turns (a GAN's, a critic's rounds), for
tf1-convert's record and render: the order their training calls repeat
(`cycle`) and each kind of call as the rewrite writes it (`calls`: its
optimizers, feeds, NumPy draws, weight clip, batches)."""

from __future__ import annotations

from tf1kit.errors import DataError


def cycle(taken: list, count: int) -> tuple:
    """(the kinds of training call, in the order they first ran: each the
    tuple of optimizers it runs; the order the calls take turns in, as
    positions among them, the steps traced being that order repeated, or
    None for one optimizer)."""
    calls = list(dict.fromkeys(taken))
    if () in calls:
        raise DataError(f"training step {taken.index(()) + 1} runs none of the script's "
                        "optimizers' train ops")
    if count == 1:
        return calls, None
    for length in range(1, (len(taken) + 1) // 2 + 1):  # a round seen again, at least in part
        if sorted({index for call in taken[:length] for index in call}) == list(range(count)) \
                and all(call == taken[step % length] for step, call in enumerate(taken)):
            if 0 not in taken[0]:
                break
            return calls, [calls.index(call) for call in taken[:length]]
    raise DataError(f"the script's {count} optimizers do not take turns in an order that "
                    "repeats from its first training call, the first optimizer first "
                    f"(traced: {taken[:12]}): tf1-convert writes a fixed round, yet")

def calls(programs: list, optimizers: list, calls: list, by_call: tuple, facts,
           weights: dict, cycle: list) -> list:
    """For a script of several optimizers, each kind of training call: its
    name, the optimizers it runs (each one's program, optimizer, name (what
    the script's line assigns it) and the weights it trains, its var_list
    as the model's attributes), its feeds, NumPy draws and weight clip
    (`by_call`: the three, a list each, by kind of call), and whether it
    takes batches (one kind of call a round does: once, or several times in a
    row, as a critic trained `d_steps` times on its own batches)."""
    feeds, draws, clips = by_call
    batch_calls = [index for index, position in enumerate(cycle)
                   if "images" in feeds[position].values()]
    kinds = {cycle[index] for index in batch_calls}
    if len(kinds) != 1 or batch_calls != list(range(batch_calls[0], batch_calls[-1] + 1)):
        raise DataError(f"each round of the script's optimizers ({len(cycle)} training calls) "
                        f"feeds {len(batch_calls)} batches of images to "
                        f"{len(kinds)} kinds of call{'s' if len(kinds) != 1 else ''}: "
                        "tf1-convert writes one kind of call taking batches, once or several "
                        "times in a row, yet")
    batch_calls = [cycle[batch_calls[0]]]
    unbatched = [position for position in set(cycle) if position != batch_calls[0]
                 and "labels" in feeds[position].values()]
    if unbatched:
        raise DataError(f"{optimizers[calls[unbatched[0]][0]]['line']}: its calls feed the "
                        "labels of the batch another optimizer's call took: tf1-convert "
                        "writes one batch per round, fed to one call, yet")
    for index, position in enumerate(cycle):  # what a call is fed again, the call before has
        again = [name for name, role in feeds[position].items() if role == "shared"]
        before = feeds[cycle[index - 1]]
        if any(name not in before for name in again):
            raise DataError(f"{optimizers[calls[position][0]]['line']}: its calls are fed "
                            "what a call before the one just before took: tf1-convert writes "
                            "a call fed again what the call before it took, yet")
    names = [name for _, name in facts.optimizers(len(programs))]
    each = []
    for index, (built, optimizer) in enumerate(zip(programs, optimizers)):
        name = names[index] if names[index] and names.count(names[index]) == 1 else \
            f"optimizer_{index + 1}"
        missing = [variable for variable in optimizer["variables"] if variable not in weights]
        if missing:
            raise DataError(f"{optimizer['line']}: it trains {missing[0]}, which no layer "
                            "of the rewrite holds")
        each.append({"index": index, "program": built, "optimizer": optimizer, "name": name,
                     "weights": [weights[variable] for variable in optimizer["variables"]]})
    trained = [variable for call in calls if len(call) > 1 for index in call
               for variable in optimizers[index]["variables"]]
    if len(trained) != len(set(trained)):
        raise DataError("one training call runs two optimizers over the same variable: "
                        "tf1-convert writes one call's optimizers over their own variables")
    found = []
    for position, (call, fed, drawn, clip) in enumerate(zip(calls, feeds, draws, clips)):
        name = "_and_".join(each[index]["name"] for index in call) if len(calls) > 1 \
            else "train"  # one kind of call: train_step, fed by feeds()
        batch = position == batch_calls[0]
        found.append({"name": name, "feeds_function": f"{name}_feeds" if len(calls) > 1
                      else "feeds", "optimizers": [each[index] for index in call],
                      "feeds": fed, "draws": drawn, "batch": batch, "clip": clip,
                      "loop_tag": facts.round_loop_tag() if batch and cycle.count(position) > 1
                      else None})  # the script's loop of a critic's batches
    return found
