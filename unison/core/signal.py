"""Signal helpers on mono numpy waves: one name per operation.

The array helpers keep the input's dtype (float32 in, float32 out; float64 in, float64 out), so
code that composes in float64 (test-set builders, whose sums must stay exact) and code that works
in float32 (baseline systems) share them. The level helpers say their dtype in their docstring.
Two different fades exist on purpose: ``fade_raised_cosine`` (test-set composition) and
``fade_linear`` (baseline systems); each keeps the numbers of what it replaced.
"""
from __future__ import annotations

import numpy as np

SILENCE_RMS = 1e-6  # below this a clip counts as silent for level setting


def seconds_to_samples(seconds: float, sample_rate: int) -> int:
    return int(round(float(seconds) * int(sample_rate)))


def rms(x: np.ndarray) -> float:
    """Root mean square over the whole array, computed in float64 (0 for an empty array)."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def db(ratio: float) -> float:
    """An amplitude ratio in decibels."""
    return 20.0 * np.log10(ratio)


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """Crop or zero-pad at the end to exactly ``n`` samples."""
    x = np.asarray(x)
    return x[:n] if x.shape[0] >= n else np.pad(x, (0, n - x.shape[0]))


def place(x: np.ndarray, length: int, offset: int) -> np.ndarray:
    """A zero canvas of ``length`` samples with ``x`` starting at sample ``offset`` (cut at the end);
    an offset outside the canvas is an error."""
    if not 0 <= offset < length:
        raise ValueError(f"offset {offset} outside a canvas of {length} samples")
    x = np.asarray(x)
    out = np.zeros(length, dtype=x.dtype)
    seg = x[: length - offset]
    out[offset: offset + seg.shape[0]] = seg
    return out


def loop(x: np.ndarray, n: int, sample_rate: int, gap: float = 0.25) -> np.ndarray:
    """Repeat ``x`` with ``gap`` seconds of silence between copies, cut to ``n`` samples: a short
    recording becomes a clip-long background."""
    x = np.asarray(x)
    if x.size == 0:
        raise ValueError("cannot loop an empty clip")
    unit = np.concatenate([x, np.zeros(int(round(gap * sample_rate)), dtype=x.dtype)])
    reps = -(-n // unit.size)
    return np.tile(unit, reps)[:n]


def fade_raised_cosine(x: np.ndarray, sample_rate: int, seconds: float = 0.02) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of round(seconds * rate) samples, in float64 (a copy)."""
    x = np.array(x, dtype=np.float64)
    n = min(int(round(seconds * sample_rate)), x.size // 2)
    if n > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)  # (n,) 0 -> 1
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def fade_linear(x: np.ndarray, sample_rate: int, seconds: float = 0.01) -> np.ndarray:
    """Linear fade-in and fade-out of int(seconds * rate) samples (ramp from exactly 0 to exactly 1),
    in float32 (a copy), so a pasted clip does not click."""
    x = np.asarray(x, dtype=np.float32).copy()
    k = min(int(seconds * sample_rate), x.size // 2)
    if k > 0:
        ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def normalize_rms(x: np.ndarray, dbfs: float, what: str = "clip") -> np.ndarray:
    """``x`` scaled (float64) so its RMS is ``dbfs`` dB re full scale; a silent clip is an error."""
    level = rms(x)
    if level < SILENCE_RMS:
        raise ValueError(f"{what}: cannot RMS-normalise a silent clip (rms {level:.2e})")
    return np.asarray(x, dtype=np.float64) * (10.0 ** (dbfs / 20.0) / level)


def scale_to_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``noise`` rescaled (float64) so that 20 log10(rms(signal) / rms(noise)) == snr_db; a silent
    component is an error."""
    r_s, r_n = rms(signal), rms(noise)
    if r_s < SILENCE_RMS or r_n < SILENCE_RMS:
        raise ValueError(f"cannot mix at an SNR with a silent component (rms {r_s:.2e}, {r_n:.2e})")
    return np.asarray(noise, dtype=np.float64) * (r_s / r_n) / 10.0 ** (snr_db / 20.0)


def scale_over(reference: np.ndarray, x: np.ndarray, db_over: float) -> np.ndarray:
    """``x`` rescaled (float32) so that its RMS is ``db_over`` dB above the reference's (RMS over each
    whole array). A silent ``x`` is an error; a silent reference leaves ``x`` unscaled."""
    r_ref, r_x = rms(reference), rms(x)
    if r_x <= 0.0:
        raise ValueError("cannot set the level of a silent signal")
    if r_ref <= 0.0:
        return np.asarray(x, dtype=np.float32)
    return (np.asarray(x, dtype=np.float64) * (r_ref / r_x) * 10.0 ** (db_over / 20.0)).astype(np.float32)


def peak_limit(x: np.ndarray, peak: float = 0.99) -> np.ndarray:
    """Scaled down (never up) so |x| stays at or below ``peak``: a mixture must not clip."""
    x = np.asarray(x)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return x * (peak / m) if m > peak else x

