"""tf1-convert on every script of its corpus (tests/fixtures/tf1/corpus/):
each traced unmodified, its exact rewrite written, and its proof
(tf1kit.convert.prove, what `tf1-convert --prove` runs) run, which must
say MATCH; one rewrite also trains on its own (as `__main__`, as `python
REWRITE.py` would). For the suite's time budget the traces run in forks of
two warm processes (tests/trace_server.py) and the proofs in one: a few
TensorFlow starts instead of two per script."""

import concurrent.futures
import dataclasses
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest

from tf1kit.convert import cli as convert_cli
from tf1kit.convert.expressions import Unsupported
from tf1kit.errors import DataError
from tests.helpers import REPO_ROOT, subprocess_environment, write_synthetic_idx

pytestmark = pytest.mark.slow
CORPUS = sorted(glob.glob(os.path.join(REPO_ROOT, "tests", "fixtures", "tf1", "corpus",
                                       "*.py")))
# The largest batch in the corpus is 256: three of them after TF1's 5,000
# validation images.
TRAIN_IMAGES = 5000 + 3 * 256
STEPS = 5  # each kind of tensor differs at step 1 or 2 when a piece is not faithful;
# five steps see a round of two critic calls and a generator call begin again
# The rewrite that also trains standalone, as `python REWRITE.py --data-dir`:
# the smallest (one layer, 25 epochs of the 7 batches the data hold).
STANDALONE = "logistic_regression"
PROVE_ALL = """
import runpy, sys
import tensorflow as tf
from tf1kit.convert import prove
for rewrite in sys.argv[1:]:
    base = rewrite[:-3]
    # Grappler's options are the process's: a rewrite that turned its arithmetic
    # optimizer off (T22) must not leave it off for the next, as its own process
    # (tf1-convert --prove) would not (the GAN's discriminator gradient differs so).
    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": True})
    print("=== " + rewrite, flush=True)
    status = prove.prove(rewrite, base + ".original.npz", DATA, base + ".map.json",
                         base + ".rewrite.npz")
    print("=== exit", status, flush=True)
    if base.endswith(STANDALONE + "_keras"):
        print("=== " + rewrite + " standalone", flush=True)
        sys.argv = [rewrite, "--data-dir", DATA]
        try:
            runpy.run_path(rewrite, run_name="__main__")
        except SystemExit as status:
            print("=== exit", status.code, flush=True)
"""


@dataclasses.dataclass
class Converted:
    """One corpus script's conversion: as tf1-convert's process would report it."""
    returncode: int
    stdout: str
    stderr: str
    rewrite: str


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """{script name: (its conversion, the proof's output)}: each script traced
    by tf1-run in a fork of a warm process (tests/trace_server.py, two of
    them), its rewrite written as tf1-convert writes it, then every rewrite
    proven in one process."""
    root = tmp_path_factory.mktemp("corpus")
    data = root / "data"
    write_synthetic_idx(data, n_train=TRAIN_IMAGES, n_test=10, blank_rows=True)  # (lengths vary)
    env = subprocess_environment()
    servers = [subprocess.Popen([sys.executable, "-m", "tests.trace_server"], cwd=REPO_ROOT,
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True) for _ in range(2)]

    def convert(job):
        script, server = job
        name = os.path.splitext(os.path.basename(script))[0]
        rewrite, trace, log = (root / f"{name}_keras.py", root / f"{name}_keras.original.npz",
                               root / f"{name}.trace.log")
        server.stdin.write(json.dumps({
            "argv": ["--seed", "0", "--data-dir", str(data), "--trace", str(trace),
                     "--max-steps", str(STEPS), script],
            "cwd": str(root), "log": str(log)}) + "\n")
        server.stdin.flush()
        traced = json.loads(server.stdout.readline())["exit"]
        if traced != 0:
            return Converted(2, "", log.read_text(), str(rewrite))
        try:
            with writing:  # one at a time: CPython 3.11's ast.parse is not thread-safe
                text, mapping = convert_cli.write(script, str(trace), str(data), "exact",
                                                  rewrite.name)
        except (Unsupported, DataError) as error:
            lines = error.lines() if isinstance(error, Unsupported) else [str(error)]
            return Converted(2, "", "\n".join(f"cannot convert {script}: {line}"
                                               for line in lines), str(rewrite))
        rewrite.with_suffix(".map.json").write_text(json.dumps(mapping, indent=1) + "\n")
        rewrite.write_text(text)
        return Converted(0, log.read_text(), "", str(rewrite))
    writing = threading.Lock()  # ("AST constructor recursion depth mismatch" otherwise)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        halves = [[(script, servers[index]) for script in CORPUS[index::2]]
                  for index in range(2)]
        done = [item for half in pool.map(lambda jobs: list(map(convert, jobs)), halves)
                for item in half]
    for server in servers:
        server.stdin.close()
        server.wait(timeout=60)
    results = {os.path.basename(each.rewrite)[:-len("_keras.py")]: each for each in done}
    written = [each.rewrite for each in done if each.returncode == 0]
    written.append(_broken_copy(root / f"{STANDALONE}_keras.py"))
    written.append(_slower_generator(root / "gan_keras.py"))
    written.append(_other_gradient(root / "sparse_autoencoder_keras.py"))
    written.append(_stock_batch_norm(root / "batch_norm_mlp_keras.py"))
    written.append(_each_directions_last(root / "bidirectional_lstm_keras.py"))
    written.append(_one_seed_every_step(root / "static_dropout_gru_keras.py"))
    written.append(_no_mask(root / "variable_length_lstm_keras.py"))
    proof = subprocess.run([sys.executable, "-c", f"DATA = {str(data)!r}\n"
                            f"STANDALONE = {STANDALONE!r}\n" + PROVE_ALL,
                            *written], cwd=root, env=env, capture_output=True, text=True,
                           timeout=600)
    sections = re.split(r"^=== (?=/)", proof.stdout, flags=re.M)
    proofs = {os.path.basename(section.split("\n", 1)[0]).replace("_keras.py", ""): section
              for section in sections if section.startswith("/")}
    missing = proof.stdout[-2000:] + proof.stderr[-3000:]
    return {name: (result, proofs.get(name, missing))
            for name, result in [*results.items(), (STANDALONE + " standalone", None),
                                 ("broken", None), ("slower_generator", None),
                                 ("other_gradient", None), ("stock_batch_norm", None),
                                 ("each_directions_last", None),
                                 ("one_seed_every_step", None), ("no_mask", None)]}


def _broken_copy(rewrite) -> str:
    """A copy of a rewrite whose model fails right under its first tag, with
    the trace and map beside it: the proof must say so in one line."""
    lines = rewrite.read_text().splitlines()
    call = next(index for index, line in enumerate(lines) if line.startswith("    def call("))
    tag = next(index for index in range(call, len(lines))
               if lines[index].lstrip().startswith("# "))
    lines.insert(tag + 1, '        raise ValueError("made to fail")')
    return _copy_with_its_proof_files(rewrite, "broken", "\n".join(lines) + "\n")


def _copy_with_its_proof_files(rewrite, name: str, text: str) -> str:
    """`<name>_keras.py` holding `text`, the rewrite's trace and map beside it."""
    copy = rewrite.parent / f"{name}_keras.py"
    copy.write_text(text)
    for suffix in (".original.npz", ".map.json"):
        shutil.copy(str(rewrite)[:-3] + suffix, str(copy)[:-3] + suffix)
    return str(copy)


def _slower_generator(rewrite) -> str:
    """A copy of the GAN's rewrite whose second optimizer (the generator's)
    has another learning rate, with the trace and map beside it: the
    negative control of a proof over optimizers taking turns."""
    text = rewrite.read_text()
    changed = text.replace("train_generator = TF1Adam(learning_rate=0.0005,",
                           "train_generator = TF1Adam(learning_rate=0.00051,")
    assert changed != text, "gan_keras.py no longer makes its generator's optimizer so"
    return _copy_with_its_proof_files(rewrite, "slower_generator", changed)


def _other_gradient(rewrite) -> str:
    """A copy of the sparse autoencoder's rewrite whose loss has the same
    value and another gradient (`x - tf.stop_gradient(x)` added, times a
    number: zero, bit for bit, with a gradient of its own), with the trace
    and map beside it: the referee's negative control."""
    text = rewrite.read_text()
    ending = "    return tf.reduce_mean(tf.pow(X - decoded, 2.0)) + (0.1 * kl)\n"
    assert ending in text, "sparse_autoencoder_keras.py no longer writes its loss so"
    return _copy_with_its_proof_files(rewrite, "other_gradient", text.replace(
        ending, ending[:-1] + " + 0.001 * (tf.reduce_sum(encoded) "
        "- tf.stop_gradient(tf.reduce_sum(encoded)))\n"))


def _stock_batch_norm(rewrite) -> str:
    """A copy of the batch-norm MLP's rewrite with Keras's own
    BatchNormalization (its moving averages by another formula, T28), with
    the trace and map beside it: the negative control of the state's proof."""
    text = rewrite.read_text()
    changed = text.replace("TF1BatchNormalization(", "keras.layers.BatchNormalization(")
    assert changed != text, "batch_norm_mlp_keras.py no longer writes TF1BatchNormalization"
    return _copy_with_its_proof_files(rewrite, "stock_batch_norm", changed)


def _each_directions_last(rewrite) -> str:
    """A copy of the bidirectional LSTM's rewrite that takes Keras's
    Bidirectional output as it comes (each direction's last output, T33)
    for static_bidirectional_rnn's `outputs[-1]` (the backward direction's
    first step), with the trace and map beside it."""
    text = rewrite.read_text()
    changed = text.replace(" return_sequences=True,", "").replace("(X)[:, -1]", "(X)")
    assert changed.count("return_sequences") == 0 and "[:, -1]" not in changed, \
        "bidirectional_lstm_keras.py no longer writes its layer so"
    return _copy_with_its_proof_files(rewrite, "each_directions_last", changed)


def _one_seed_every_step(rewrite) -> str:
    """A copy of the static dropout GRU's rewrite whose lower wrapper draws
    every time step from its first step's op (one seed for all, as one
    dropout layer would), with the trace and map beside it."""
    text = rewrite.read_text()
    changed, count = re.subn(r"seed2=\[(\d+)\] \+ list\(range\(\d+, \d+, \d+\)\)",
                             r"seed2=[\1] * 28", text, count=1)
    assert count == 1, "static_dropout_gru_keras.py no longer writes its seeds so"
    return _copy_with_its_proof_files(rewrite, "one_seed_every_step", changed)


def _no_mask(rewrite) -> str:
    """A copy of the variable-length LSTM's rewrite that runs every image's
    LSTM over all 28 rows (no mask of the lengths), with the trace and map
    beside it."""
    text = rewrite.read_text()
    changed, count = re.subn(r", mask=tf\.sequence_mask\([^)]*\), 28\)", "", text)
    assert count == 1, "variable_length_lstm_keras.py no longer masks its lengths so"
    return _copy_with_its_proof_files(rewrite, "no_mask", changed)


def test_a_sequence_length_is_a_mask_of_the_lengths(converted):
    """dynamic_rnn's sequence_length stops each sequence's RNN at its length
    (its state carried, its outputs zeros): Keras's mask of the lengths,
    bit for bit (the corpus MATCH); without it the final states differ from
    step 1 (T35)."""
    proof = converted["no_mask"][1]
    assert "=== exit 1" in proof, proof
    assert "MISMATCH: first difference at step 1" in proof, proof


def test_a_static_rnns_dropout_draws_each_time_step_from_its_own_op(converted):
    """static_rnn builds a DropoutWrapper's dropout op at every time step,
    each with its own seed: drawing every step from the first step's seed
    gives other masks at every later step, which the proof names as a
    lower-layer step's op drawing other values at step 1."""
    with open(converted["static_dropout_gru"][0].rewrite) as stream:  # the top layer's
        assert "seed2=[None] * 27 + [" in stream.read()  # ops before the last step never ran
    proof = converted["one_seed_every_step"][1]
    assert "=== exit 1" in proof, proof
    assert re.search(r"MISMATCH: random op rnn/rnn/multi_rnn_cell/cell_0_\d+/dropout/"
                     r"random_uniform/RandomUniform \(.*\) draws other values at step 1",
                     proof), proof


def test_a_bidirectional_layers_last_outputs_are_not_the_last_steps_outputs(converted):
    """`outputs[-1]` of static_bidirectional_rnn joins the forward direction's
    last output to the backward direction's first (it read the last row
    alone); Keras's Bidirectional without return_sequences gives the
    backward direction's last: the losses differ from step 1, and the
    proof names the backward cell's second step as one TF1 never ran."""
    proof = converted["each_directions_last"][1]
    assert "=== exit 1" in proof, proof
    assert "MISMATCH: first difference at step 1" in proof, proof
    assert "time steps: backward_cell: time step 2 of 28 is the first whose output the " \
        "original never computed" in proof, proof


def test_moving_statistics_updated_by_another_formula_are_found_as_state(converted):
    """Stock BatchNormalization trains bit for bit (its forward pass is TF1's
    on rank-2 inputs) and updates its moving statistics otherwise: the first
    difference is a moving statistic at step 1, said to be one (T28)."""
    proof = converted["stock_batch_norm"][1]
    assert "=== exit 1" in proof, proof
    assert "state: 6 of 6 compared" in proof, proof
    assert re.search(r"MISMATCH: first difference at step 1: state bn\d/moving_\w+ <-> "
                     r"batch_norm_mlp/bn\d/moving_\w+: .* a moving statistic \(batch "
                     r"normalization\)", proof), proof


def test_the_lstm_of_your_own_model_md_is_what_tf1_convert_writes(converted):
    """docs/your_own_model.md section 6 shows lstm_rows.py's layer and step as
    written here (the conversion MATCHes: test_each_corpus_script_...)."""
    result, _ = converted["lstm_rows"]
    text = open(result.rewrite, encoding="utf-8").read()
    with open(os.path.join(REPO_ROOT, "docs", "your_own_model.md"), encoding="utf-8") as stream:
        page = stream.read()
    shown = re.search(r"```bash\n(mkdir -p recurrent.*?)```", page, re.S).group(1)
    assert "tf1-convert lstm_rows.py -o lstm_rows_keras.py" in shown
    layer = re.search(r"```python\n(self.lstm = .*?)```", page, re.S).group(1)
    assert "\n".join("        " + line for line in layer.splitlines()) in text
    assert "gradients = tf.gradients(loss, model.trainable_variables, gate_gradients=True)" \
        in text


def test_a_gradient_of_another_function_is_told_from_one_rounded_otherwise(converted):
    """The same loss with another gradient: the first difference is a
    gradient at step 1, and the referee (the rewrite's float64 pass from the
    step's weights and inputs) finds the two sides' errors far apart: not an
    order of summation."""
    proof = converted["other_gradient"][1]
    assert "=== exit 1" in proof, proof
    assert re.search(r"MISMATCH: first difference at step 1: gradient Variable(_\d+)? <-> "
                     r"sparse_autoencoder/\w+/kernel", proof), proof
    assert re.search(r"referee \(the rewrite's forward pass and loss in float64 .*: the "
                     r"original's \d+x larger, more than an order of summation explains: the "
                     r"rewrite differentiates another function than the script", proof), proof


def test_a_gan_proof_finds_a_change_to_its_second_optimizer_at_its_first_step(converted):
    """Step 1 runs the discriminator's optimizer, step 2 the generator's:
    the changed learning rate is found there, in the generator's weights."""
    proof = converted["slower_generator"][1]
    assert "=== exit 1" in proof, proof
    assert re.search(r"MISMATCH: first difference at step 2: weight Variable(_\d+)? <-> "
                     r"gan/g_hidden/kernel", proof), proof
    # the judge replays the generator's optimizer, at its own first step, on its weights
    assert re.search(r"judge \(AdamOptimizer .* of step 2\): the rewrite's weight "
                     r"gan/g_hidden/kernel is [\d.e+]+x its float32 error bound", proof), proof


def test_a_rewrite_that_fails_is_one_failed_line_naming_its_line_and_the_scripts(converted):
    proof = converted["broken"][1]
    assert "Traceback" not in proof and "=== exit 1" in proof, proof
    failed = [line for line in proof.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, proof
    assert re.match(r"FAILED: the rewrite does not build at broken_keras\.py:\d+ "
                    r"`raise ValueError\(\"made to fail\"\)` \(for logistic_regression\.py:\d+ "
                    r"`.+`\): ValueError: made to fail$", failed[0]), failed[0]


@pytest.mark.parametrize("script", [os.path.basename(path)[:-3] for path in CORPUS])
def test_each_corpus_script_converts_and_its_exact_rewrite_matches(converted, script):
    result, proof = converted[script]
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert f"MATCH: {STEPS} steps, every tensor both traces hold is the same" in proof, proof
    assert "=== exit 0" in proof, proof


def test_no_rewrite_computes_a_value_its_forward_pass_does_not_use(converted):
    """Nothing dead in a model's forward pass: every local a `call` assigns
    is read after it (a layer lifted twice once wrote `X = self.reshape(X)`
    after the LSTM had read its own inline reshape)."""
    import ast
    dead = []
    for script, (result, _) in converted.items():
        if not script.isidentifier() or result is None or result.returncode != 0:
            continue
        tree = ast.parse(open(result.rewrite, encoding="utf-8").read())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or not function.name.startswith("call"):
                continue
            statements = function.body
            for index, statement in enumerate(statements):
                targets = [target.id for target in getattr(statement, "targets", [])
                           if isinstance(target, ast.Name)]
                later = {node.id for after in statements[index + 1:] for node in ast.walk(after)
                         if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
                dead += [f"{script}: {function.name}: {name}" for name in targets
                         if name not in later]
    assert not dead, dead


def test_a_recurrent_rewrite_keeps_one_output_per_time_step(converted):
    """Each RNN cell's outputs in the rewrite's trace: 28 rows, 28 time
    steps, unrolled or in a while loop (Keras's call of a while loop's cell
    before the loop, for its shape, is no time step)."""
    from tf1kit.trace import tracefile
    for script, cell in (("lstm_rows", "cell"), ("rnn_final_state", "cell"),
                         ("bidirectional_gru_states", "backward_cell")):
        rewrite = converted[script][0].rewrite[:-3] + ".rewrite.npz"
        steps = tracefile.load(rewrite).step_value(1, "activation",
                                                   cell + tracefile.TIME_STEPS)
        assert steps is not None and steps.shape[0] == 28, (script, steps is None or steps.shape)


def test_a_rewrite_trains_on_its_own_as_the_script_did(converted):
    standalone = converted[STANDALONE + " standalone"][1]
    assert "Epoch: 0025 loss=" in standalone and "Optimization Finished!" in standalone, \
        standalone
    assert "=== exit 0" in standalone, standalone


def test_the_corpus_names_each_script_with_its_kind():
    with open(os.path.join(REPO_ROOT, "tests", "fixtures", "tf1", "corpus",
                           "README.md")) as stream:
        listed = set(re.findall(r"^\| `(\w+\.py)` \|", stream.read(), re.M))
    assert listed == {os.path.basename(path) for path in CORPUS}
