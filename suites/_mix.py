"""Pure signal helpers shared by the composing builders (t2as, editing, speech_in_scene, timed_clap).

Everything works on mono float64 numpy arrays at one sample rate. Relations between a test set's
clips (target = source - event, speech/sound at 0 dB...) must survive the PCM_16 files the test-set
writer stores, so builders put every STEM on the writer's PCM_16 grid (``on_pcm16_grid``) first and
then form mixtures as plain sums of grid values: a sum of grid values is again a grid value (exact in
float64), so the stored source/target differ by exactly the stored event, sample for sample.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

PCM16_SCALE = 32767.0  # bench.testset.pcm16_bytes quantises with round(x * 32767)
SILENCE_RMS = 1e-6
FLOOR_DBFS = -80.0


def rms(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def db(ratio: float) -> float:
    return 20.0 * np.log10(ratio)


def normalize_rms(x: np.ndarray, dbfs: float, what: str = "clip") -> np.ndarray:
    """Scale ``x`` so its RMS is ``dbfs`` dB re full scale. A silent clip is an error, not a NaN."""
    level = rms(x)
    if level < SILENCE_RMS:
        raise ValueError(f"{what}: cannot RMS-normalise a silent clip (rms {level:.2e})")
    return np.asarray(x, dtype=np.float64) * (10.0 ** (dbfs / 20.0) / level)


def fade(x: np.ndarray, sr: int, seconds: float = 0.02) -> np.ndarray:
    """Raised-cosine fade-in and fade-out (no clicks at cut boundaries)."""
    x = np.array(x, dtype=np.float64)
    n = min(int(round(seconds * sr)), x.size // 2)
    if n > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)  # (n,) 0 -> 1
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def fit(x: np.ndarray, n: int) -> np.ndarray:
    """Crop or zero-pad (at the end) to exactly ``n`` samples."""
    x = np.asarray(x, dtype=np.float64)
    return x[:n] if x.size >= n else np.concatenate([x, np.zeros(n - x.size)])


def place(x: np.ndarray, n_total: int, offset: int) -> np.ndarray:
    """A length-``n_total`` canvas with ``x`` starting at sample ``offset`` (cropped at the end)."""
    if not 0 <= offset < n_total:
        raise ValueError(f"offset {offset} outside a canvas of {n_total} samples")
    out = np.zeros(n_total)
    seg = np.asarray(x, dtype=np.float64)[: n_total - offset]
    out[offset: offset + seg.size] = seg
    return out


def loop_to(x: np.ndarray, n: int, sr: int, gap: float = 0.25, fade_s: float = 0.01) -> np.ndarray:
    """Repeat a short clip (faded, with ``gap`` s of silence between copies) to fill ``n`` samples:
    a short real recording becomes a clip-long background, as AudioCaps clips are."""
    unit = np.concatenate([fade(x, sr, fade_s), np.zeros(int(round(gap * sr)))])
    reps = int(np.ceil(n / unit.size))
    return np.tile(unit, reps)[:n]


def snr_scale(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``noise`` rescaled so that 20 log10(rms(signal) / rms(noise)) == snr_db."""
    r_s, r_n = rms(signal), rms(noise)
    if r_s < SILENCE_RMS or r_n < SILENCE_RMS:
        raise ValueError(f"cannot mix at an SNR with a silent component (rms {r_s:.2e}, {r_n:.2e})")
    return np.asarray(noise, dtype=np.float64) * (r_s / r_n) / 10.0 ** (snr_db / 20.0)


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


def seconds_to_samples(seconds: float, sr: int) -> int:
    return int(round(seconds * sr))
