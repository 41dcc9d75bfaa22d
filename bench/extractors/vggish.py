"""VGGish frame embeddings for FAD, as audioldm_eval computes them (torchvggish port).

Protocol (audioldm_eval / torchvggish, checked against their public code):
- 16 kHz mono; the clip's mean is subtracted (DC removal), then it is zero-padded at the end to
  >= 2 s (32000 samples), so every clip yields at least two 0.96 s frames. This is audioldm_eval's
  current FAD input (``WaveDataset.read_from_file``: ``audio - audio.mean()``, resample,
  ``pad_short_audio``). Its PyPI release 0.0.3 fed VGGish differently (``load_audio_task``: no DC
  removal, no padding, resampy): with a 0.2 DC offset the frames move by about 1 % of their range,
  and a clip shorter than 2 s yields fewer frames (measured in tests/bench/conformance). The
  signature records the choice (``dc_removal``, ``pad_to_samples``).
- Front end (AudioSet's mel_features): 25 ms frames (400 samples) with a periodic Hann window,
  10 ms hop, 512-point |rfft|, no centering; 64 HTK mel bands 125-7500 Hz (triangles in the mel
  domain, DC bin zeroed); log(mel + 0.01); non-overlapping 96-frame examples (0.96 s).
- Network: VGG features (conv 64, M, 128, M, 256, 256, M, 512, 512, M; 3x3, ReLU) then
  embeddings Linear(512*4*6, 4096) ReLU Linear(4096, 4096) ReLU Linear(4096, 128) — with the
  LAST ReLU removed and NO PCA/quantization postprocessing (audioldm_eval: use_pca=False,
  use_activation=False). The conv output is permuted to (N, H, W, C) before flattening, as the
  TF-converted weights expect.
- Weights: torchvggish's ``vggish-10086976.pth`` (a plain state dict: ``features.{0,3,6,8,11,13}``,
  ``embeddings.{0,2,4}``). Layer widths are read from the file, so a tiny test file in the same
  format loads through the same code.

Outputs: "frames" (n_frames, 128) float32 and "embedding" (128,) their mean.
"""
from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
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
WIN_LENGTH = 400  # 25 ms
HOP_LENGTH = 160  # 10 ms
N_FFT = 512
N_MELS = 64
FMIN, FMAX = 125.0, 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s, non-overlapping
MIN_SECONDS = 2.0  # audioldm_eval pads shorter clips to 2 s
DC_REMOVAL = True  # audioldm_eval's current code subtracts the clip mean (its 0.0.3 release did not)
CONV_LAYER_IDS = (0, 3, 6, 8, 11, 13)  # nn.Sequential indices of the convs in torchvggish
POOL_AFTER = (0, 3, 8, 13)  # a 2x2 max-pool follows these convs
FC_LAYER_IDS = (0, 2, 4)

WEIGHTS = WeightSpec(
    name="vggish",
    filename="vggish-10086976.pth",
    env="UNISON_VGGISH",
    how_to_get="download https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
    url="https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
)


def _hz_to_mel_htk(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_matrix() -> np.ndarray:
    """(257, 64) AudioSet mel weights: triangles spaced in HTK mel between 125 and 7500 Hz."""
    n_bins = N_FFT // 2 + 1
    bin_mel = _hz_to_mel_htk(np.linspace(0.0, SAMPLE_RATE / 2, n_bins))
    edges = np.linspace(_hz_to_mel_htk(FMIN), _hz_to_mel_htk(FMAX), N_MELS + 2)
    lo, mid, hi = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel[:, None] - lo) / (mid - lo)
    falling = (hi - bin_mel[:, None]) / (hi - mid)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0  # the DC bin never contributes (as mel_features)
    return weights


def log_mel_examples(wave: np.ndarray) -> np.ndarray:
    """wave (samples,) 16 kHz -> examples (n, 96, 64) float32 (trailing partial example dropped)."""
    wave = np.asarray(wave, dtype=np.float64)
    n_frames = 1 + (len(wave) - WIN_LENGTH) // HOP_LENGTH
    if n_frames < EXAMPLE_FRAMES:
        raise ValueError(f"VGGish needs >= 0.975 s of audio, got {len(wave) / SAMPLE_RATE:.3f} s")
    idx = np.arange(WIN_LENGTH)[None, :] + HOP_LENGTH * np.arange(n_frames)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN_LENGTH) / WIN_LENGTH)  # periodic Hann
    spec = np.abs(np.fft.rfft(wave[idx] * window, n=N_FFT, axis=1))  # (frames, 257)
    log_mel = np.log(spec @ mel_matrix() + LOG_OFFSET)  # (frames, 64)
    n_ex = n_frames // EXAMPLE_FRAMES
    return log_mel[: n_ex * EXAMPLE_FRAMES].reshape(n_ex, EXAMPLE_FRAMES, N_MELS).astype(np.float32)


def prepare(wave: np.ndarray) -> np.ndarray:
    """The 16 kHz clip as VGGish sees it: mean removed, zero-padded to 2 s."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1 or wave.size == 0:
        raise ValueError(f"VGGish expects a non-empty mono wave (samples,), got shape {wave.shape}")
    if DC_REMOVAL:
        wave = wave - wave.mean(dtype=np.float64).astype(np.float32)
    return pad_to_min_samples(wave, int(MIN_SECONDS * SAMPLE_RATE))


class VGGishNet(nn.Module):
    """torchvggish's module tree (parameter names match its state dict); widths are arguments
    so that tiny test weights use the same code. ``final_relu=False`` is audioldm_eval's choice."""

    def __init__(self, conv_widths: tuple[int, ...] = (64, 128, 256, 256, 512, 512),
                 fc_widths: tuple[int, ...] = (4096, 4096, 128), final_relu: bool = False):
        super().__init__()
        layers: list[nn.Module] = []
        in_ch = 1
        for i, width in enumerate(conv_widths):
            layers += [nn.Conv2d(in_ch, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            if CONV_LAYER_IDS[i] in POOL_AFTER:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            in_ch = width
        self.features = nn.Sequential(*layers)
        flat = in_ch * (EXAMPLE_FRAMES // 16) * (N_MELS // 16)  # 4 pools: (96, 64) -> (6, 4)
        fcs: list[nn.Module] = []
        for j, width in enumerate(fc_widths):
            fcs.append(nn.Linear(flat, width))
            if j < len(fc_widths) - 1 or final_relu:
                fcs.append(nn.ReLU(inplace=True))
            flat = width
        self.embeddings = nn.Sequential(*fcs)

    def forward(self, examples: torch.Tensor) -> torch.Tensor:
        """examples (n, 1, 96, 64) -> embeddings (n, D)."""
        x = self.features(examples)  # (n, C, 6, 4)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # TF order (n, H, W, C) before flattening
        return self.embeddings(x)


def load_vggish(path: Path) -> VGGishNet:
    """Build the net with the widths found in a torchvggish state dict and load it strictly."""
    sd = torch_load_weights_only(path, "VGGish")
    if not isinstance(sd, dict) or "features.0.weight" not in sd:
        raise ValueError(f"VGGish: {path} is not a torchvggish state dict (no 'features.0.weight')")
    conv_widths = tuple(int(sd[f"features.{i}.weight"].shape[0]) for i in CONV_LAYER_IDS)
    fc_widths = tuple(int(sd[f"embeddings.{i}.weight"].shape[0]) for i in FC_LAYER_IDS)
    net = VGGishNet(conv_widths, fc_widths, final_relu=False)
    load_strict(net, sd, f"VGGish ({path})")
    return net.eval()


class VGGishExtractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "vggish"
    sample_rate = SAMPLE_RATE
    batch_size = 16

    def signature(self) -> dict[str, Any]:
        return {
            "model": "torchvggish (harritaylor) VGGish",
            **self.weights_signature(),
            "sample_rate": SAMPLE_RATE,
            "front_end": {"win": WIN_LENGTH, "hop": HOP_LENGTH, "n_fft": N_FFT, "window": "periodic_hann",
                          "n_mels": N_MELS, "fmin": FMIN, "fmax": FMAX, "mel": "htk", "log_offset": LOG_OFFSET},
            "example_frames": EXAMPLE_FRAMES,
            "example_hop_frames": EXAMPLE_FRAMES,
            "crop_pad": f"zero-pad end to >= {MIN_SECONDS} s; drop trailing partial 0.96 s frame",
            "dc_removal": "clip mean subtracted before padding" if DC_REMOVAL else None,
            "pad_to_samples": int(MIN_SECONDS * SAMPLE_RATE),
            "recipe": "audioldm_eval current WaveDataset (not its 0.0.3 release's load_audio_task)",
            "postprocess_pca": False,
            "last_relu": False,
        }

    @cached_property
    def net(self) -> VGGishNet:
        return load_vggish(resolve(WEIGHTS, self.weights))

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for wave in waves:
            wave = prepare(wave)
            ex = torch.from_numpy(log_mel_examples(wave))[:, None]  # (n, 1, 96, 64)
            frames = self.net(ex).numpy().astype(np.float32)  # (n, 128)
            out.append({"frames": frames, "embedding": frames.mean(axis=0)})
        return out


def build(weights: str | Path | None = None) -> VGGishExtractor:
    return VGGishExtractor(weights)
