"""Audiobox Aesthetics (Meta, 2025): four axes per clip — CE (content enjoyment), CU (content
usefulness), PC (production complexity), PQ (production quality) — computed by the
``audiobox_aesthetics`` package's own ``AesPredictor`` from a checkpoint found by the weights
resolver.

Protocol (audiobox-aesthetics 0.0.4, ``infer.AesPredictor.forward``): 16 kHz mono; the clip is
cut into 10 s windows with a 10 s hop, the last one zero-padded and masked; WavLM-base-plus
features (all 13 layer outputs, softmax-weighted sum per axis), masked mean over time,
L2-normalised, one linear head per axis; the prediction is de-normalised with the checkpoint's
``target_transform`` (mean, std) and averaged over windows weighted by their unpadded length.
The package's autocast flag never fires (it compares ``str(torch.bfloat16)`` with "bf16"), so
inference is float32 on CPU. One documented deviation: the package resamples with
``torchaudio.functional.resample``; here the runner's loader has already resampled to 16 kHz
(soxr HQ), and the package's resample call is the identity at 16 kHz.

Weights: ``checkpoint.pt`` (Hugging Face facebook/audiobox-aesthetics) = ``{"state_dict":
{"model." + key: tensor}, "model_cfg": {...}, "target_transform": {axis: {"mean", "std"}}}``,
loaded by the package with a strict ``load_state_dict``.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.extractors.base import Extractor
from bench.extractors.weights_common import ResolvedWeights
from unison.core.weights import WeightSpec, resolve

SAMPLE_RATE = 16000
AXES = ("CE", "CU", "PC", "PQ")
WEIGHTS = WeightSpec(
    name="audiobox-aesthetics",
    filename="checkpoint.pt",
    env="UNISON_AUDIOBOX_AESTHETICS",
    hf_repo="facebook/audiobox-aesthetics",
    how_to_get="download https://huggingface.co/facebook/audiobox-aesthetics/resolve/main/checkpoint.pt",
    url="https://huggingface.co/facebook/audiobox-aesthetics/resolve/main/checkpoint.pt",
)


class AudioboxAestheticsExtractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "audiobox-aesthetics"
    sample_rate = SAMPLE_RATE
    batch_size = 4
    package = ("audiobox_aesthetics", "pip install audiobox-aesthetics==0.0.4")

    def signature(self) -> dict[str, Any]:
        return {"model": "audiobox-aesthetics 0.0.4 AesPredictor", **self.weights_signature(),
                "sample_rate": SAMPLE_RATE, "windows": "10 s, hop 10 s, last zero-padded + masked, "
                "length-weighted mean", "precision": "float32", "resampler": "runner (soxr HQ)",
                "outputs": list(AXES)}

    @cached_property
    def predictor(self):
        from audiobox_aesthetics.infer import AesPredictor

        return AesPredictor(checkpoint_pth=str(resolve(WEIGHTS, self.weights)), batch_size=1)

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for w in waves:
            x = np.asarray(w, dtype=np.float32)
            if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
                out.append({"error": f"Audiobox Aesthetics needs a non-empty finite mono clip (shape {x.shape})"})
                continue
            row = self.predictor.forward([{"path": torch.from_numpy(x)[None], "sample_rate": SAMPLE_RATE}])[0]
            out.append({axis: float(row[axis]) for axis in AXES})
        return out


def build(weights: str | Path | None = None) -> AudioboxAestheticsExtractor:
    return AudioboxAestheticsExtractor(weights)
