"""Sequence lengths, derived in one place (docs/design.md §2): one latent frame = 2 mel frames = 2 * hop samples."""
from __future__ import annotations

import math
from fractions import Fraction


def latent_length(seconds: float, sample_rate: int, hop: int) -> int:
    """ceil(seconds * sample_rate / hop / 2), computed exactly (no float rounding at the boundary)."""
    if seconds <= 0 or sample_rate <= 0 or hop <= 0:
        raise ValueError(f"latent_length needs positive seconds, sample_rate, hop; got {seconds}, {sample_rate}, {hop}")
    return math.ceil(Fraction(repr(float(seconds))) * sample_rate / (2 * hop))


def num_samples(latent_len: int, hop: int) -> int:
    """Wave length that a latent of ``latent_len`` frames decodes to."""
    if latent_len <= 0 or hop <= 0:
        raise ValueError(f"num_samples needs positive latent_len and hop; got {latent_len}, {hop}")
    return latent_len * 2 * hop
