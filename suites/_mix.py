"""Composition rules of the test-set builders (the generic signal helpers are unison.core.signal).

Builders compose in float64 at one sample rate. Relations between a test set's clips (target =
source - event, speech/sound at 0 dB...) must survive the PCM_16 files the test-set writer stores,
so builders put every STEM on the writer's PCM_16 grid (``on_pcm16_grid``) first and then form
mixtures as plain sums of grid values: a sum of grid values is again a grid value (exact in
float64), so the stored source/target differ by exactly the stored event, sample for sample.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from unison.core.signal import fade_raised_cosine, fit_length, loop

PCM16_SCALE = 32767.0  # bench.testset.pcm16_bytes quantises with round(x * 32767)
FLOOR_DBFS = -80.0
LOOP_FADE_SECONDS = 0.01  # each looped copy is faded so the joins do not click


def loop_faded(x: np.ndarray, n: int, sr: int) -> np.ndarray:
    """A short real recording made clip-long, as AudioCaps clips are: faded copies with 0.25 s of
    silence between them, cut to ``n`` samples (float64)."""
    return loop(fade_raised_cosine(x, sr, LOOP_FADE_SECONDS), n, sr)


def fill_scene(x: np.ndarray, n: int, sr: int, fill: str) -> np.ndarray:
    """A background recording made ``n`` samples long: ``fill="loop"`` repeats it (``loop_faded``),
    anything else fades it once and crops or zero-pads it at the end (float64)."""
    return loop_faded(x, n, sr) if fill == "loop" else fit_length(fade_raised_cosine(x, sr), n)


def headroom_gain(mixtures: Sequence[np.ndarray], peak: float = 0.89) -> float:
    """One gain <= 1 for all stems so that no mixture made of them exceeds ``peak`` (no clipping,
    and relative levels - hence SNRs and exact differences - are kept)."""
    top = max(float(np.max(np.abs(m))) for m in mixtures)
    return min(1.0, peak / top) if top > 0 else 1.0


def on_pcm16_grid(x: np.ndarray) -> np.ndarray:
    """Round to the values a PCM_16 file stores (k / 32767); sums of such values stay exact."""
    return np.round(np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0) * PCM16_SCALE) / PCM16_SCALE


def noise_floor(n: int, rng: np.random.Generator, dbfs: float = FLOOR_DBFS) -> np.ndarray:
    """A deterministic Gaussian noise floor (default -80 dBFS RMS, about 3 LSB of PCM_16).

    Real recordings never contain digital silence, but padded / gapped pseudo-GT would, and
    spectral metrics break on it: ssr_eval's LSD gives ~12 per frame where BOTH clips are exactly
    zero (log10 of its 1e-12 guard), so even the oracle would score badly. The floor is a stem of
    its own, so relations between stems stay exact."""
    return rng.standard_normal(n) * 10.0 ** (dbfs / 20.0)
