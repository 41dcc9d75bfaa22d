"""Small signal helpers shared by the baseline systems (mono float waves as numpy arrays)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

GAP_SECONDS = 0.25  # silence between repeats when a short clip is looped to fill an item


def n_samples(seconds: float, sample_rate: int) -> int:
    if not seconds or seconds <= 0:
        raise ValueError(f"item length must be > 0 seconds, got {seconds!r}")
    return int(round(float(seconds) * int(sample_rate)))


def pad_or_crop(wave: np.ndarray, length: int) -> np.ndarray:
    """Crop at the end, or zero-pad at the end, to exactly ``length`` samples."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.shape[0] >= length:
        return wave[:length].copy()
    return np.pad(wave, (0, length - wave.shape[0]))


def loop_fill(wave: np.ndarray, length: int, sample_rate: int, gap: float = GAP_SECONDS) -> np.ndarray:
    """Repeat ``wave`` (with ``gap`` seconds of silence between repeats) and crop to ``length``."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.size == 0:
        raise ValueError("cannot loop an empty clip")
    unit = np.concatenate([wave, np.zeros(int(round(gap * sample_rate)), dtype=np.float32)])
    reps = -(-length // unit.size)
    return np.tile(unit, reps)[:length].copy()


def rms(wave: np.ndarray) -> float:
    wave = np.asarray(wave, dtype=np.float64)
    return float(np.sqrt(np.mean(wave ** 2))) if wave.size else 0.0


def scale_to_snr(reference: np.ndarray, x: np.ndarray, snr_db: float) -> np.ndarray:
    """Scale ``x`` so that rms(x) / rms(reference) = ``snr_db`` dB (RMS over each whole array)."""
    r_ref, r_x = rms(reference), rms(x)
    if r_x <= 0.0:
        raise ValueError("cannot set the level of a silent signal")
    if r_ref <= 0.0:
        return np.asarray(x, dtype=np.float32)
    return (np.asarray(x, dtype=np.float64) * (r_ref / r_x) * 10.0 ** (snr_db / 20.0)).astype(np.float32)


def place(x: np.ndarray, length: int, offset: int) -> np.ndarray:
    """``x`` starting at sample ``offset`` of a zero canvas of ``length`` (cut at the end)."""
    out = np.zeros(length, dtype=np.float32)
    offset = max(0, min(int(offset), length))
    end = min(length, offset + x.shape[0])
    out[offset:end] = x[: end - offset]
    return out


def fade(x: np.ndarray, sample_rate: int, seconds: float = 0.01) -> np.ndarray:
    """Linear fade-in/out so a pasted clip does not click."""
    x = np.asarray(x, dtype=np.float32).copy()
    k = min(int(seconds * sample_rate), x.size // 2)
    if k > 0:
        ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def peak_limit(x: np.ndarray, peak: float = 0.99) -> np.ndarray:
    """Scale down (never up) so |x| stays below ``peak``: a mixture must not clip."""
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (peak / m)).astype(np.float32) if m > peak else np.asarray(x, dtype=np.float32)


def read_mono(path: str | Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """(mono float32 wave, rate) of a file, resampled with soxr (HQ) when ``sample_rate`` is given."""
    import soundfile as sf
    import soxr

    try:
        wave, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001 - libsndfile has many error types; name the file
        raise ValueError(f"cannot read audio file {path}: {e}") from e
    mono = np.ascontiguousarray(wave.mean(axis=1))
    if sample_rate is not None and sr != sample_rate:
        mono = soxr.resample(mono, sr, sample_rate, quality="HQ").astype(np.float32)
        sr = sample_rate
    return mono, int(sr)
