"""Batches a script draws itself (`np.random.choice`, `np.random.randint`):
found in its source, and the rewrite's standalone `batches()` draws them
the same way (tf1kit/convert/source_facts.py, emit.py)."""

import numpy as np
import pytest

from tests.test_convert import setting
from tf1kit.convert import emit_loop
from tf1kit.convert.source import Source
from tf1kit.convert.source_facts import SourceFacts

LOOP = """import numpy as np
for epoch in range(3):
    for i in range(n_batches):
        {draw}
        sess.run(train, feed_dict={{X: train_x[idx], Y: train_y[idx]}})
"""


@pytest.mark.parametrize("draw,replace", [
    ("idx = np.random.choice(train_x.shape[0], batch_size, replace=False)", False),
    ("idx = np.random.choice(len(train_x), batch_size)", True),
    ("idx = np.random.randint(0, len(train_x), batch_size)", True),
])
def test_an_index_draw_is_found_with_its_replacement(draw, replace):
    found = SourceFacts(LOOP.format(draw=draw), "s.py").index_draw()
    assert found == {"tag": f"s.py:4  {draw}", "replace": replace}


def test_no_draw_where_next_batch_serves_or_nothing_indexes():
    served = LOOP.format(draw="idx = np.random.choice(10, 2)") + \
        "batch = mnist.train.next_batch(2)\n"
    assert SourceFacts(served, "s.py").index_draw() is None
    unused = "import numpy as np\nidx = np.random.choice(10, 2)\nprint(idx)\n"
    assert SourceFacts(unused, "s.py").index_draw() is None


@pytest.mark.parametrize("loop,replace", [(("EPOCHS", 3, "s.py:2"), False),
                                          (("STEPS", 7, "s.py:2"), True)])
def test_the_rewrite_draws_each_batch_as_the_script_did(loop, replace):
    out = Source()
    emit_loop.batches(out, None, setting(batch_size=4, loop=loop, draw={
        "tag": "s.py:4  idx = ...", "replace": replace}))
    namespace = {"np": np, "BATCH_SIZE": 4, loop[0]: loop[1]}
    exec(out.text(), namespace)  # noqa: S102 (the text written above)
    drawn = list(namespace["batches"](10, 0))
    assert len(drawn) == (3 * (10 // 4) if loop[0] == "EPOCHS" else 7)
    assert all(len(indices) == 4 and indices.max() < 10 for _, indices in drawn)
    if not replace:
        assert all(len(set(indices.tolist())) == 4 for _, indices in drawn)
    assert f"replace={replace}" in out.text() and "# s.py:4  idx = ..." in out.text()
