"""Voice gender for gender accuracy offline: voice2gender 0.1.1 (XGBoost on 20 acoustic features
of the "voice.csv" kind: spectral statistics 0-280 Hz, cepstral F0, dominant frequency).

The package's documented input is mono int16 PCM at 44.1 kHz; the runner resamples each clip to
``sample_rate`` = 44100, we convert to int16 little-endian bytes and call its public
``predict(pcm_sequence=[bytes], sample_rate=44100)`` in memory (no temp WAV). It returns the
female probability; we output {"gender": "female" if p_female >= 0.5 else "male",
"score": p_female, "p_male": 1 - p_female}.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bench.extractors.base import Extractor
from unison.core.weights import cached_sha256

SAMPLE_RATE = 44100
THRESHOLD = 0.5
PINNED_SHA256 = "0bd5b1e06a43c03477dde1cffe5ef9ac434bc029cf92f5ced152ef947c7eeb42"  # voice2gender/_model.py


def to_pcm16(wave: np.ndarray) -> bytes:
    """float [-1, 1] -> int16 little-endian bytes (clipped, rounded)."""
    x = np.clip(np.asarray(wave, dtype=np.float64), -1.0, 32767 / 32768)
    return np.round(x * 32768.0).astype("<i2").tobytes()


class VoiceGender(Extractor):
    name = "voice2gender"
    sample_rate = SAMPLE_RATE
    batch_size = 16

    def available(self) -> str | None:
        try:
            self._predict
        except ImportError as e:
            return (f"voice2gender not importable ({e}): pip install --no-deps voice2gender==0.1.1 "
                    "xgboost==3.2.0")
        return None

    @cached_property
    def _predict(self):
        from voice2gender import predict

        return predict

    @cached_property
    def model_file(self) -> Path:
        import voice2gender._model as m

        return Path(m.__file__)

    def signature(self) -> dict[str, Any]:
        import xgboost

        return {"name": self.name, "model": "voice2gender 0.1.1 XGBoost (embedded in _model.py)",
                "model_sha256": cached_sha256(self.model_file), "xgboost": xgboost.__version__,
                "sample_rate": SAMPLE_RATE, "input": "mono int16 PCM", "threshold": THRESHOLD,
                "score": "female probability", "version": 1}

    def predict_one(self, wave: np.ndarray) -> dict[str, Any]:
        res = self._predict([to_pcm16(wave)], sample_rate=SAMPLE_RATE)
        p_female = float(res["female_probability"])
        return {"gender": "female" if p_female >= THRESHOLD else "male", "score": p_female,
                "p_male": 1.0 - p_female}

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        # Feature extraction is per-clip numpy (whole-signal FFT + per-frame cepstra); the tree
        # ensemble itself costs microseconds, so there is nothing to gain from batching it.
        return [self.predict_one(w) for w in waves]


def build() -> VoiceGender:
    return VoiceGender()
