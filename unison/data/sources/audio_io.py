"""Decoding helpers shared by the sources: any file -> mono float32 at a requested rate."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr


def load_mono(path: str | Path, sample_rate: int) -> np.ndarray:
    """Decode ``path`` (WAV/OGG/FLAC/raw-less formats soundfile reads), mix to mono, resample with
    soxr (HQ). Raises a ValueError naming the file when it cannot be decoded."""
    try:
        wave, sr = sf.read(str(path), dtype="float32", always_2d=True)  # (samples, channels)
    except Exception as exc:  # soundfile raises several types; name the file either way
        raise ValueError(f"cannot decode audio file {path}: {exc}") from exc
    mono = wave.mean(axis=1)
    if sr != sample_rate:
        mono = soxr.resample(mono, sr, sample_rate, quality="HQ").astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)
