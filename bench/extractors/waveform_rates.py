"""Waveform "extractors" at the rates of the signal metrics (bench/metrics/signal.py) that the
base module does not list: 8 kHz (narrow-band PESQ), 22.05 kHz (pymcd's MCD) and 24 kHz (super-resolution LSD)."""
from __future__ import annotations

from bench.extractors.waveform import WaveformExtractor


def waveform_8k() -> WaveformExtractor:
    return WaveformExtractor(8000)


def waveform_22k() -> WaveformExtractor:
    return WaveformExtractor(22050)


def waveform_24k() -> WaveformExtractor:
    return WaveformExtractor(24000)
