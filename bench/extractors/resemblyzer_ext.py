"""Speaker embedding for SIM offline: Resemblyzer 0.1.4 (GE2E LSTM, 256-d, L2-normalised).

Per clip exactly what ``VoiceEncoder.embed_utterance`` does (after ``preprocess_wav``: volume
normalisation up to -30 dBFS and webrtcvad trimming of long silences): 1.6 s partial windows at
rate 1.3/s, min coverage 0.75, mean of the partial embeddings, L2-normalised. The batch is run
as one LSTM forward over the partials of every clip.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bench.extractors.base import Extractor
from unison.core.weights import cached_sha256

SAMPLE_RATE = 16000
PARTIAL_RATE = 1.3
MIN_COVERAGE = 0.75
PINNED_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"  # pretrained.pt


def weights_path() -> Path:
    import resemblyzer

    return Path(resemblyzer.__file__).resolve().parent / "pretrained.pt"


class Resemblyzer(Extractor):
    name = "resemblyzer"
    sample_rate = SAMPLE_RATE
    batch_size = 16

    def available(self) -> str | None:
        try:
            path = weights_path()
        except ImportError as e:
            return f"resemblyzer not importable ({e}): pip install Resemblyzer==0.1.4 webrtcvad"
        return None if path.is_file() else f"{path} missing: reinstall Resemblyzer==0.1.4"

    @cached_property
    def encoder(self):
        import torch
        from resemblyzer import VoiceEncoder

        torch.set_num_threads(min(torch.get_num_threads(), 2))
        return VoiceEncoder(device="cpu", verbose=False).eval()

    def signature(self) -> dict[str, Any]:
        return {"name": self.name, "model": "Resemblyzer 0.1.4 GE2E pretrained.pt",
                "model_sha256": cached_sha256(weights_path()), "sample_rate": SAMPLE_RATE,
                "preprocess": "resemblyzer.preprocess_wav (normalize to -30 dBFS increase-only, "
                "webrtcvad long-silence trim)", "partials": {"rate": PARTIAL_RATE,
                "min_coverage": MIN_COVERAGE, "frames": 160}, "pooling": "mean then L2", "version": 1}

    def _partial_mels(self, wave: np.ndarray) -> np.ndarray:
        """One clip -> its partial mel windows (n_partials, 160, 40)."""
        from resemblyzer import audio, preprocess_wav

        wav = preprocess_wav(np.asarray(wave, dtype=np.float32))
        if wav.size == 0:
            raise ValueError("resemblyzer: no voiced audio left after silence trimming")
        wav_slices, mel_slices = self.encoder.compute_partial_slices(len(wav), PARTIAL_RATE, MIN_COVERAGE)
        wav = np.pad(wav, (0, max(0, wav_slices[-1].stop - len(wav))))
        mel = audio.wav_to_mel_spectrogram(wav)
        return np.stack([mel[s] for s in mel_slices])

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        import torch

        partials = [self._partial_mels(w) for w in waves]
        counts = np.cumsum([0] + [len(p) for p in partials])
        with torch.no_grad():
            emb = self.encoder(torch.from_numpy(np.concatenate(partials))).numpy()  # (sum P, 256)
        out = []
        for a, b in zip(counts[:-1], counts[1:]):
            mean = emb[a:b].mean(axis=0)
            out.append({"embedding": (mean / np.linalg.norm(mean)).astype(np.float32)})
        return out


def build() -> Resemblyzer:
    return Resemblyzer()
