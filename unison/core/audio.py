"""Audio files: the one reader (decode, down-mix, resample) and the byte-stable float WAV writer.

Reading: libsndfile decodes (WAV, FLAC, OGG, ...), channels are averaged to mono in float32, and a
different rate is converted with soxr at its HQ setting. Everything that compares or caches audio
(the harness's features, the model's inputs, test-set builders, the training corpus) reads through
``read_mono``, so the same file gives the same samples everywhere; ``READ_RULE`` says how, for
records and cache keys.

Writing: generated audio is stored as 32-bit float WAV so NaN/inf and out-of-range samples survive
to validation instead of being quantised away. libsndfile stamps float WAVs with a PEAK chunk that
holds the write time, so identical samples gave different bytes and missed every content-addressed
cache; scipy's writer emits only fmt, fact and data chunks: same samples, same bytes.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from unison.core.files import atomic_write_bytes

RESAMPLER = "soxr"
RESAMPLER_QUALITY = "HQ"
MONO_RULE = "mean-of-channels"
READ_RULE = {"resampler": RESAMPLER, "quality": RESAMPLER_QUALITY, "mono": MONO_RULE, "dtype": "float32"}


class AudioReadError(ValueError):
    """An audio file cannot be decoded; the message names the file and libsndfile's reason."""


def audio_info(path: str | os.PathLike):
    """libsndfile's header of ``path`` (``samplerate``, ``frames``, ``channels``, ...)."""
    import soundfile as sf

    try:
        return sf.info(str(path))
    except Exception as e:  # noqa: BLE001 - libsndfile reports many kinds of failure; name the file
        raise AudioReadError(f"cannot read audio file {path}: {e}") from e


def read_mono(path: str | os.PathLike, sample_rate: int | None = None, *, start: int = 0,
              stop: int | None = None) -> tuple[np.ndarray, int]:
    """(mono float32 wave, its rate) of frames [start, stop) of ``path`` (the file's own frames),
    resampled to ``sample_rate`` when one is given and differs."""
    import soundfile as sf

    try:
        wave, sr = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)  # (frames, channels)
    except Exception as e:  # noqa: BLE001 - libsndfile reports many kinds of failure; name the file
        raise AudioReadError(f"cannot read audio file {path}: {e}") from e
    mono = wave.mean(axis=1)
    if sample_rate is not None and sr != sample_rate:
        return resample(mono, sr, sample_rate), int(sample_rate)
    return mono, int(sr)


def resample(wave: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """``wave`` at ``rate`` converted to ``to_rate`` (soxr HQ; the dtype is kept)."""
    import soxr

    if rate == to_rate:
        return wave
    return soxr.resample(wave, rate, to_rate, quality=RESAMPLER_QUALITY)


def float_wav_bytes(wave: np.ndarray, sample_rate: int) -> bytes:
    """Mono or (samples, channels) float32 WAV, byte-stable for identical samples."""
    from scipy.io import wavfile

    buf = io.BytesIO()
    wavfile.write(buf, int(sample_rate), np.ascontiguousarray(wave, dtype=np.float32))
    return buf.getvalue()


def write_float_wav(path: str | os.PathLike, wave: np.ndarray, sample_rate: int) -> Path:
    """Atomically write a float32 WAV (nothing is left at ``path`` unless the write completes)."""
    return atomic_write_bytes(path, float_wav_bytes(wave, sample_rate))
