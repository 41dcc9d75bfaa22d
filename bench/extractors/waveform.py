"""The identity "extractor": returns the (resampled, mono) samples themselves.

Waveform metrics such as LSD go through it so that the runner's resampling, mono rule and
feature cache apply to them exactly as to embedding metrics. Name: ``waveform-<sr>``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.extractors.base import Extractor


class WaveformExtractor(Extractor):
    """Feature dict: {"samples": float32 (n,)} at ``sample_rate``."""

    batch_size = 64

    def __init__(self, sample_rate: int):
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        self.name = f"waveform-{_rate_tag(self.sample_rate)}"

    def signature(self) -> dict[str, Any]:
        return {"name": self.name, "sample_rate": self.sample_rate, "version": 1}

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for w in waves:
            x = np.asarray(w, dtype=np.float32)
            if x.ndim != 1:
                raise ValueError(f"{self.name}: expected a mono (samples,) wave, got shape {x.shape}")
            out.append({"samples": x.copy()})
        return out


def _rate_tag(sr: int) -> str:
    """16000 -> "16k", 44100 -> "44.1k", 22050 -> "22.05k"."""
    return f"{sr / 1000:g}k"


def waveform_16k() -> WaveformExtractor:
    return WaveformExtractor(16000)


def waveform_44k() -> WaveformExtractor:
    return WaveformExtractor(44100)


def waveform_48k() -> WaveformExtractor:
    return WaveformExtractor(48000)
