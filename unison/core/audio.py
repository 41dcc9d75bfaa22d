"""Audio files the project writes.

Generated audio is stored as 32-bit float WAV so NaN/inf and out-of-range samples survive to
validation instead of being quantised away. libsndfile stamps float WAVs with a PEAK chunk that
holds the write time, so identical samples gave different bytes and missed every content-addressed
cache; scipy's writer emits only fmt, fact and data chunks: same samples, same bytes.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from unison.core.files import atomic_write_bytes


def float_wav_bytes(wave: np.ndarray, sample_rate: int) -> bytes:
    """Mono or (samples, channels) float32 WAV, byte-stable for identical samples."""
    from scipy.io import wavfile

    buf = io.BytesIO()
    wavfile.write(buf, int(sample_rate), np.ascontiguousarray(wave, dtype=np.float32))
    return buf.getvalue()


def write_float_wav(path: str | os.PathLike, wave: np.ndarray, sample_rate: int) -> Path:
    """Atomically write a float32 WAV (nothing is left at ``path`` unless the write completes)."""
    return atomic_write_bytes(path, float_wav_bytes(wave, sample_rate))
