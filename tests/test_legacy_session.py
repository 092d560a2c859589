"""The live comparison's Session config for the legacy side
(tf1kit/environment.py legacy_session_config: Grappler's arithmetic
optimizer at AGGRESSIVE) moves no bit of the original's training, in any
variant: the same step losses, final weights and test codes as the
original's own Session."""

import numpy as np
import pytest

from common import sources
from common.config import Hyperparameters
from common.variants import Variant
from parity import engine, sides
from tf1kit import environment

STEPS_PER_EPOCH = 40  # two epochs: a few hundred Adam steps through every op of the loss
SHORT = Hyperparameters(training_epochs=2)


def legacy_run(variant, session_config):
    source = sources.DataSource("sample")
    experiment = engine.make_experiment(sources.load_raw(source), source.validation_size,
                                        SHORT, variant, STEPS_PER_EPOCH, data_seed=0)
    return sides.run_legacy(experiment, 0, log=lambda line: None,
                            session_config=session_config).run


@pytest.mark.slow  # two legacy runs of 80 steps per variant, about 5 s each
@pytest.mark.parametrize("variant", [Variant(), Variant("sparse"),
                                     Variant("denoising", noise="gaussian")],
                         ids=lambda variant: variant.name)
def test_the_comparisons_legacy_session_trains_the_originals_bits(variant):
    original = legacy_run(variant, None)
    faster = legacy_run(variant, environment.legacy_session_config())
    assert original.step_losses.tobytes() == faster.step_losses.tobytes()
    for name, value in original.final_weights.items():
        assert value.tobytes() == faster.final_weights[name].tobytes(), name
    assert np.asarray(original.test_codes).tobytes() == np.asarray(faster.test_codes).tobytes()
