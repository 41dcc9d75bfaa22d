"""PANNs CNN14 (16 kHz) clip embedding and AudioSet logits for FD / KL / IS (audioldm_eval recipe).

Protocol (PANNs audioset_tagging_cnn + audioldm_eval, checked against their public code):
- 16 kHz mono; DC removed (wave - mean) and zero-padded at the end to >= 2 s (audioldm_eval's
  WaveDataset: ``audio - audio.mean()``, then ``pad_short_audio`` to 32000 samples).
- Front end = torchlibrosa ``Spectrogram`` (n_fft = win = 512, hop 160, hann, center, reflect)
  + ``LogmelFilterBank`` (64 mels, 50-8000 Hz, ref 1.0, amin 1e-10, top_db None); both are part
  of the checkpoint (``spectrogram_extractor.stft.conv_{real,imag}.weight``, ``logmel_extractor.melW``).
- bn0 over the 64 mel bins, six ConvBlocks (64..2048, two 3x3 convs + BN + ReLU, 2x2 avg pool;
  the last with 1x1 pool), mean over frequency, max + mean over time, fc1 (2048) + ReLU,
  fc_audioset (527).
- "embedding" (2048,) = ReLU(fc1(.)) — audioldm_eval's "2048" feature;
  "logits" (527,) = fc_audioset(ReLU(fc1(.))) BEFORE the sigmoid — audioldm_eval's "logits"
  feature, which its KL / IS turn into a softmax. The model's own clip output (sigmoid) is also
  given as "probs".
- Weights: ``Cnn14_16k_mAP=0.438.pth`` = ``{"model": state_dict, ...}`` (zenodo record 3987831).
  Conv / fc widths are read from the file, so a tiny test file in that format uses this code.
"""
from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bench.extractors.base import Extractor
from bench.extractors.weights_common import (
    ResolvedWeights,
    load_strict,
    pad_to_min_samples,
    torch_load_weights_only,
)
from unison.core.weights import WeightSpec, resolve

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WINDOW = 512
HOP = 160
N_MELS = 64
FMIN, FMAX = 50, 8000
N_CLASSES = 527
MIN_SECONDS = 2.0
CONV_WIDTHS = (64, 128, 256, 512, 1024, 2048)

WEIGHTS = WeightSpec(
    name="panns-cnn14-16k",
    filename="Cnn14_16k_mAP=0.438.pth",
    env="UNISON_PANNS_CNN14_16K",
    how_to_get="download https://zenodo.org/record/3987831/files/Cnn14_16k_mAP%3D0.438.pth",
    url="https://zenodo.org/record/3987831/files/Cnn14_16k_mAP%3D0.438.pth",
)


class ConvBlock(nn.Module):
    """Two 3x3 conv + BN + ReLU, then pooling (PANNs' ConvBlock; names match the checkpoint)."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.bn2 = nn.BatchNorm2d(out_ch)

    def forward(self, x: torch.Tensor, pool: int) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return F.avg_pool2d(x, kernel_size=pool)


class Cnn14(nn.Module):
    """PANNs CNN14 in eval form (no SpecAugment / mixup / dropout: all inactive at inference)."""

    def __init__(self, conv_widths: tuple[int, ...] = CONV_WIDTHS, embed_dim: int = 2048,
                 classes: int = N_CLASSES):
        super().__init__()
        from torchlibrosa.stft import LogmelFilterBank, Spectrogram

        with torch.device("cpu"):  # torchlibrosa builds its fixed kernels from numpy (fails on meta)
            self.spectrogram_extractor = Spectrogram(n_fft=WINDOW, hop_length=HOP, win_length=WINDOW, window="hann",
                                                     center=True, pad_mode="reflect", freeze_parameters=True)
            self.logmel_extractor = LogmelFilterBank(sr=SAMPLE_RATE, n_fft=WINDOW, n_mels=N_MELS, fmin=FMIN,
                                                     fmax=FMAX, ref=1.0, amin=1e-10, top_db=None, freeze_parameters=True)
        self.bn0 = nn.BatchNorm2d(N_MELS)
        in_ch = 1
        for i, width in enumerate(conv_widths, start=1):
            setattr(self, f"conv_block{i}", ConvBlock(in_ch, width))
            in_ch = width
        self.n_blocks = len(conv_widths)
        self.fc1 = nn.Linear(in_ch, embed_dim)
        self.fc_audioset = nn.Linear(embed_dim, classes)

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """wave (B, samples) -> (embedding (B, embed_dim), logits (B, classes))."""
        x = self.logmel_extractor(self.spectrogram_extractor(wave))  # (B, 1, frames, 64)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)  # BN over mel bins
        for i in range(1, self.n_blocks + 1):
            x = getattr(self, f"conv_block{i}")(x, pool=1 if i == self.n_blocks else 2)
        x = x.mean(dim=3)  # (B, C, frames')
        x = x.max(dim=2).values + x.mean(dim=2)  # (B, C)
        embedding = F.relu(self.fc1(x))
        return embedding, self.fc_audioset(embedding)


def load_cnn14(path: Path) -> Cnn14:
    ckpt = torch_load_weights_only(path, "PANNs CNN14")
    sd = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(sd, dict) or "conv_block1.conv1.weight" not in sd:
        raise ValueError(f"PANNs CNN14: {path} is not a PANNs checkpoint ({{'model': state_dict}} with conv_block1...)")
    widths = []
    while f"conv_block{len(widths) + 1}.conv1.weight" in sd:
        widths.append(int(sd[f"conv_block{len(widths) + 1}.conv1.weight"].shape[0]))
    net = Cnn14(tuple(widths), embed_dim=int(sd["fc1.weight"].shape[0]), classes=int(sd["fc_audioset.weight"].shape[0]))
    load_strict(net, sd, f"PANNs CNN14 ({path})")
    return net.eval()


class PannsCnn14Extractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "panns-cnn14-16k"
    sample_rate = SAMPLE_RATE
    batch_size = 8

    def signature(self) -> dict[str, Any]:
        return {
            "model": "PANNs Cnn14_16k",
            **self.weights_signature(),
            "sample_rate": SAMPLE_RATE,
            "front_end": {"window": WINDOW, "hop": HOP, "n_mels": N_MELS, "fmin": FMIN, "fmax": FMAX,
                          "impl": "torchlibrosa"},
            "crop_pad": f"remove DC (x - mean), zero-pad end to >= {MIN_SECONDS} s, whole clip in one pass",
            "embedding": "relu(fc1) 2048-d",
            "logits": "fc_audioset output BEFORE sigmoid (audioldm_eval 'logits'); probs = sigmoid",
        }

    @cached_property
    def net(self) -> Cnn14:
        return load_cnn14(resolve(WEIGHTS, self.weights))

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for wave in waves:  # one clip per pass: padding a batch to a common length would change results
            wave = np.asarray(wave, dtype=np.float32)
            wave = pad_to_min_samples(wave - wave.mean(), int(MIN_SECONDS * SAMPLE_RATE))
            emb, logits = self.net(torch.from_numpy(wave)[None])
            out.append({"embedding": emb[0].numpy(), "logits": logits[0].numpy(),
                        "probs": torch.sigmoid(logits[0]).numpy()})
        return out


def build(weights: str | Path | None = None) -> PannsCnn14Extractor:
    return PannsCnn14Extractor(weights)
