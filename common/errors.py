"""How the experiment's training can fail, so entry points can turn it into
one clear line and a status of its own (common/cli.py); bad data is the
kit's DataError (tf1kit/errors.py)."""


class NonFiniteLoss(ArithmeticError):
    """Training produced a NaN or Inf loss; carries the 1-based step.

    `first_step`, when smaller than `step`, says the loss was only seen at
    the end of steps `first_step`..`step`, which ran in one call (Keras
    `fit` with `steps_per_execution`); the first bad one is among them.
    """

    def __init__(self, step: int, loss: float, first_step: int | None = None):
        self.step, self.loss = step, loss
        where = f"at step {step}" if first_step in (None, step) else \
            f"within steps {first_step}-{step} (they ran in one call)"
        super().__init__(
            f"loss became {loss} {where}; training stopped there. "
            "Try a smaller --learning-rate, or check the input data is scaled to [0, 1]")


class PeerLost(RuntimeError):
    """A worker of a multi-worker run lost contact with another (it died or
    stopped answering) in the middle of a collective operation."""
