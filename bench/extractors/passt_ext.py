"""PaSST (Koutini et al.) clip embedding and AudioSet logits for FD / KL as av-benchmark computes
them (the MMAudio-era video-to-audio / text-to-audio protocol), built with the ``hear21passt``
package's own modules.

Protocol (av-benchmark ``av_bench/extraction_models.py`` + ``extract.py``, hear21passt 0.0.26):
``get_basic_model(mode="all")`` = ``PasstBasicWrapper`` around
``AugmentMelSTFT(n_mels=128, sr=32000, win_length=800, hopsize=320, n_fft=1024, htk=False,
fmin=0, fmax=None, norm=1)`` (its masking / fmin-fmax jitter are training-only) and the
``passt_s_swa_p16_128_ap476`` network (PaSST-S, patch 16, stride 10, SWA, AudioSet mAP .476).
Audio: mono (mean of channels), DC removed (x - mean), 32 kHz, cropped to the first 10 s
(320000 samples) or zero-padded to exactly 10 s. The wrapper's output in mode "all" is
[logits (527, pre-sigmoid) | features (768, the mean of the class and distillation tokens)]:
"embedding" = features (FD-PaSST), "logits" = logits (KL-PaSST, softmax).
Deviation, documented: av-benchmark removes the mean before resampling with torchaudio's
``Resample``; here the runner resamples (soxr HQ) and the mean is removed after.

Weights: ``passt-s-f128-p16-s10-ap.476-swa.pt`` (GitHub release kkoutini/PaSST
v0.0.1-audioset), a state dict; it goes through hear21passt's own ``checkpoint_filter_fn`` (the
key handling timm's pretrained loading applies) and a strict load.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.extractors.base import Extractor
from bench.extractors.weights_common import ResolvedWeights, load_strict, torch_load_weights_only
from unison.core.weights import WeightSpec, resolve

SAMPLE_RATE = 32000
CLIP_SAMPLES = 320000
ARCH = "passt_s_swa_p16_128_ap476"
N_CLASSES = 527
WEIGHTS = WeightSpec(
    name="passt-s-swa-ap476",
    filename="passt-s-f128-p16-s10-ap.476-swa.pt",
    env="UNISON_PASST",
    how_to_get="download https://github.com/kkoutini/PaSST/releases/download/v0.0.1-audioset/"
               "passt-s-f128-p16-s10-ap.476-swa.pt",
    url="https://github.com/kkoutini/PaSST/releases/download/v0.0.1-audioset/passt-s-f128-p16-s10-ap.476-swa.pt",
)


def build_wrapper():
    """hear21passt's get_basic_model(mode="all"), without its pretrained download."""
    from hear21passt.models.passt import get_model
    from hear21passt.models.preprocess import AugmentMelSTFT
    from hear21passt.wrapper import PasstBasicWrapper

    mel = AugmentMelSTFT(n_mels=128, sr=32000, win_length=800, hopsize=320, n_fft=1024, freqm=48, timem=192,
                         htk=False, fmin=0.0, fmax=None, norm=1, fmin_aug_range=10, fmax_aug_range=2000)
    net = get_model(arch=ARCH, pretrained=False)
    return PasstBasicWrapper(mel=mel, net=net, mode="all")


def load_passt(path: Path):
    from hear21passt.models.passt import checkpoint_filter_fn

    sd = torch_load_weights_only(path, "PaSST")
    if not isinstance(sd, dict):
        raise ValueError(f"PaSST: {path} is not a state dict")
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    wrapper = build_wrapper()
    if "patch_embed.proj.weight" not in sd or not ("time_new_pos_embed" in sd or "pos_embed" in sd):
        raise ValueError(f"PaSST: {path}: checkpoint keys do not match the model (no patch_embed / positional "
                         f"embedding; keys {sorted(sd)[:6]}). Is this the published file?")
    sd = checkpoint_filter_fn(sd, wrapper.net)
    load_strict(wrapper.net, sd, f"PaSST ({path})")
    return wrapper.eval()


def fit_clip(wave: np.ndarray) -> np.ndarray:
    x = np.asarray(wave, dtype=np.float32)
    x = x - x.mean()
    if x.size >= CLIP_SAMPLES:
        return x[:CLIP_SAMPLES]
    return np.pad(x, (0, CLIP_SAMPLES - x.size))


class PasstExtractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "passt-32k"
    sample_rate = SAMPLE_RATE
    batch_size = 4
    package = ("hear21passt", "pip install hear21passt==0.0.26")

    def signature(self) -> dict[str, Any]:
        return {"model": f"hear21passt 0.0.26 {ARCH}, PasstBasicWrapper mode=all", **self.weights_signature(),
                "sample_rate": SAMPLE_RATE, "crop_pad": "x - mean; first 10 s or zero-pad to 10 s",
                "mel": "128 mels, win 800, hop 320, n_fft 1024 (AugmentMelSTFT, eval)",
                "embedding": "768-d mean of cls + dist tokens", "logits": "527 pre-sigmoid",
                "resampler": "runner (soxr HQ) instead of torchaudio Resample"}

    @cached_property
    def model(self):
        return load_passt(resolve(WEIGHTS, self.weights))

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        x = torch.from_numpy(np.stack([fit_clip(w) for w in waves]))
        out = self.model(x)
        return [{"logits": o[:N_CLASSES].numpy().copy(), "embedding": o[N_CLASSES:].numpy().copy()} for o in out]


def build(weights: str | Path | None = None) -> PasstExtractor:
    return PasstExtractor(weights)
