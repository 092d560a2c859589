"""The three autoencoders of the original post: deep, sparse, denoising.

What both implementations must agree on lives here: each variant's settings,
the corruption of the denoising inputs (one numpy definition, so that both
sides see the very same noise), and the summary of hidden activations that
the sparse variant reports. docs/numerics.md section 8 has the references
(Ng's CS294A notes; Vincent et al. 2008, 2010).
"""

from __future__ import annotations

import dataclasses

import numpy as np

VARIANTS = ("deep", "sparse", "denoising")
NOISES = ("masking", "gaussian", "salt-pepper")
# Reference levels: masking fraction 0.25 and salt-and-pepper 0.25 are in
# Vincent et al.'s range (0.1-0.4); Gaussian sigma 0.2 is TensorFlow's
# denoising tutorial's noise_factor.
DEFAULT_NOISE_LEVEL = {"masking": 0.25, "gaussian": 0.2, "salt-pepper": 0.25}
# Ng's CS294A notes: rho = 0.05, beta = 3, with a reconstruction term of
# (1/2) * sum over the 784 pixels. The original's cost is the MEAN over
# pixels, 392 times smaller, so Ng's balance needs beta = 3 / 392 here.
# (Measured on the bundled sample, beta = 3 itself drives every hidden unit
# to rho and the codes collapse: see docs/variants.md.)
DEFAULT_SPARSITY_TARGET = 0.05
DEFAULT_SPARSITY_WEIGHT = 3.0 / 392.0
# rho_hat is clipped into [EPSILON, 1 - EPSILON] so that log() stays finite
# when a unit saturates at 0 or 1 over a whole batch.
RHO_HAT_EPSILON = 1e-6
# The key of the test-set corruption: far from any training step number.
TEST_NOISE_STREAM = 2**31 - 1
HISTOGRAM_BINS = 20


@dataclasses.dataclass(frozen=True)
class Variant:
    """Which autoencoder, with its own settings (ignored by the others)."""

    name: str = "deep"
    sparsity_target: float = DEFAULT_SPARSITY_TARGET
    sparsity_weight: float = DEFAULT_SPARSITY_WEIGHT
    weight_decay: float = 0.0
    noise: str = "masking"
    noise_level: float | None = None  # None: DEFAULT_NOISE_LEVEL[noise]

    def __post_init__(self) -> None:
        if self.name not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.name!r}")
        if self.noise not in NOISES:
            raise ValueError(f"noise must be one of {NOISES}, got {self.noise!r}")
        if not 0 < self.sparsity_target < 1:
            raise ValueError(f"sparsity target must be in (0, 1), got {self.sparsity_target}")
        if not (np.isfinite(self.sparsity_weight) and self.sparsity_weight >= 0):
            raise ValueError(f"sparsity weight must be >= 0, got {self.sparsity_weight}")
        if not (np.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight decay must be >= 0, got {self.weight_decay}")
        level = self.level
        if not np.isfinite(level) or level < 0 or (self.noise != "gaussian" and level > 1):
            raise ValueError(f"noise level for {self.noise} must be in [0, 1]"
                             f"{'' if self.noise != 'gaussian' else ' or above'}, got {level}")

    @property
    def level(self) -> float:
        return DEFAULT_NOISE_LEVEL[self.noise] if self.noise_level is None else self.noise_level

    @property
    def sparse(self) -> bool:
        return self.name == "sparse"

    @property
    def denoising(self) -> bool:
        return self.name == "denoising"

    def describe(self) -> dict:
        """The settings that apply to this variant, for reports."""
        if self.sparse:
            return {"name": self.name, "sparsity_target": self.sparsity_target,
                    "sparsity_weight": self.sparsity_weight, "weight_decay": self.weight_decay}
        if self.denoising:
            return {"name": self.name, "noise": self.noise, "noise_level": self.level}
        return {"name": self.name}


def corrupt(images: np.ndarray, noise: str, level: float, seed: int, step: int) -> np.ndarray:
    """A corrupted float32 copy of `images` [n, 784] for training step `step`.

    The noise comes from a generator keyed by (seed, step): each row (each
    example of the batch) gets its own draw, every step draws anew, and both
    implementations get identical noise by calling this with the same key.
    - masking: each pixel set to 0 with probability `level`; others kept
      as they are (no rescaling, unlike dropout);
    - gaussian: x + level * N(0, 1), clipped to [0, 1];
    - salt-pepper: each pixel, with probability `level`, set to 0 or 1
      (equally likely).
    """
    images = np.asarray(images, dtype=np.float32)
    rng = np.random.default_rng([seed, step])
    if noise == "masking":
        keep = rng.random(images.shape) >= level
        return np.where(keep, images, np.float32(0)).astype(np.float32)
    if noise == "gaussian":
        noisy = images + (np.float32(level) * rng.standard_normal(images.shape, dtype=np.float32))
        return np.clip(noisy, 0, 1).astype(np.float32)
    if noise == "salt-pepper":
        hit = rng.random(images.shape) < level
        salt = rng.random(images.shape) < 0.5
        return np.where(hit, salt.astype(np.float32), images).astype(np.float32)
    raise ValueError(f"unknown noise {noise!r}")


def kl_divergence_reference(rho: float, activations: np.ndarray) -> float:
    """sum_j KL(rho || rho_hat_j) in float64: the numpy reference for tests."""
    rho_hat = np.clip(np.mean(np.asarray(activations, np.float64), axis=0),
                      RHO_HAT_EPSILON, 1 - RHO_HAT_EPSILON)
    return float(np.sum(rho * np.log(rho / rho_hat)
                        + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))


def activation_summary(hidden: dict) -> dict:
    """Mean activation per hidden layer, and a histogram of all of them."""
    values = np.concatenate([np.asarray(a).ravel() for a in hidden.values()])
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(0.0, 1.0))
    return {"hidden_mean_activation": {name: float(np.mean(a)) for name, a in hidden.items()},
            "overall_mean_activation": float(np.mean(values)),
            "activation_histogram": {"bin_edges": edges.tolist(), "counts": counts.tolist()}}


def report_lines(variant: Variant, report: dict) -> list:
    """The variant's figures as lines for the terminal."""
    if variant.sparse:
        means = ", ".join(f"{name} {value:.3f}"
                          for name, value in report["hidden_mean_activation"].items())
        return [f"mean hidden activation (target {variant.sparsity_target}): "
                f"{report['overall_mean_activation']:.4f} overall; {means}"]
    if variant.denoising:
        return [f"test MSE against the clean images: clean inputs "
                f"{report['test_cost_clean_input']:.6f}, corrupted inputs ({variant.noise} "
                f"{variant.level}) {report['test_cost_corrupted_input']:.6f}"]
    return []
