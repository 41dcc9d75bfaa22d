"""BigVGAN generator (v1 as configured by Make-An-Audio 2 / MMAudio 16k, and v2) with a loader for
the published files.

Layout facts (NVIDIA/BigVGAN bigvgan.py, hkchengrex/MMAudio mmaudio/ext/bigvgan*/): conv_pre (k=7)
-> per stage i: ``ups.{i}.0`` ConvTranspose1d(k_i, stride u_i, padding (k_i - u_i) / 2) and
len(resblock_kernel_sizes) AMP blocks averaged -> ``activation_post`` -> ``conv_post`` (k=7) -> tanh
(v2 44k: clamp, no bias). AMP block type "1": ``convs1`` (dilated) and ``convs2`` (dilation 1)
interleaved with ``activations.{j}``, each an anti-aliased activation: x2 kaiser-sinc upsample
(``upsample.filter``), Snake/SnakeBeta (``act.alpha``, ``act.beta``; exp'd when snake_logscale),
x2 low-pass downsample (``downsample.lowpass.filter``). Files: ``{"generator": state_dict}`` with
weight-normalised convs (g, v pairs), which we fold into plain weights at load.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from unison.audio.state_dicts import fold_weight_norm, state_dict_differences
from unison.audio.vocoder.base import NativeConvTranspose1d, Vocoder
from unison.core.weights import WeightSpec, load_weights_file, resolve

log = logging.getLogger(__name__)


@dataclass
class BigVGANHParams:
    """The generator fields of a BigVGAN config.json (training-only fields are ignored)."""

    num_mels: int = 80
    sampling_rate: int = 16000
    upsample_rates: list[int] = field(default_factory=lambda: [4, 4, 2, 2, 2, 2])
    upsample_kernel_sizes: list[int] = field(default_factory=lambda: [8, 8, 4, 4, 4, 4])
    upsample_initial_channel: int = 1536
    resblock: str = "1"
    resblock_kernel_sizes: list[int] = field(default_factory=lambda: [3, 7, 11])
    resblock_dilation_sizes: list[list[int]] = field(default_factory=lambda: [[1, 3, 5]] * 3)
    activation: str = "snakebeta"
    snake_logscale: bool = True
    use_tanh_at_final: bool = True
    use_bias_at_final: bool = True
    mel_log: str = "log10"  # not a BigVGAN field: which log the training mels used

    @classmethod
    def from_json_dict(cls, d: dict, mel_log: str) -> "BigVGANHParams":
        known = {f.name for f in fields(cls)}
        hp = cls(**{k: v for k, v in d.items() if k in known and k != "mel_log"}, mel_log=mel_log)
        hp.validate()
        return hp

    def validate(self) -> None:
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise ValueError("BigVGAN config: upsample_rates and upsample_kernel_sizes differ in length")
        if self.resblock not in ("1", "2"):
            raise ValueError(f"BigVGAN config: resblock must be '1' or '2', got {self.resblock!r}")
        if self.activation not in ("snake", "snakebeta"):
            raise ValueError(f"BigVGAN config: activation must be snake or snakebeta, got {self.activation!r}")

    @property
    def hop_length(self) -> int:
        return math.prod(self.upsample_rates)


# MMAudio 16k vocoder: Make-An-Audio 2's BigVGAN (MMAudio bigvgan_vocoder.yml); it ships without a
# config.json, so these values are the config. It vocodes MMAudio's 16 kHz log10 mels.
BIGVGAN_V1_16K = BigVGANHParams()
V2_MEL_LOG = "ln"  # BigVGAN v2 meldataset: natural log

VOCODER_WEIGHTS: dict[str, WeightSpec] = {
    "bigvgan-v1-16k": WeightSpec(
        name="bigvgan-v1-16k", filename="best_netG.pt",
        how_to_get="download best_netG.pt (MMAudio release v0.1, md5 eeaf372a38a9c31c362120aba2dde292) from "
                   "https://github.com/hkchengrex/MMAudio/releases/download/v0.1/best_netG.pt",
        url="https://github.com/hkchengrex/MMAudio/releases/download/v0.1/best_netG.pt"),
    "bigvgan-v2-44k": WeightSpec(
        name="bigvgan-v2-44k", filename="bigvgan_generator.pt", hf_repo="nvidia/bigvgan_v2_44khz_128band_512x",
        companions=("config.json",),
        how_to_get="download bigvgan_generator.pt and config.json (same folder) from the Hugging Face repo "
                   "nvidia/bigvgan_v2_44khz_128band_512x"),
}


def get_padding(kernel_size: int, dilation: int = 1) -> int:
    return (kernel_size * dilation - dilation) // 2


def kaiser_sinc_filter(cutoff: float, half_width: float, kernel_size: int) -> torch.Tensor:
    """Kaiser-windowed sinc low-pass (1, 1, kernel_size), unit DC gain (alias-free-torch design)."""
    half = kernel_size // 2
    a = 2.285 * (half - 1) * math.pi * (4 * half_width) + 7.95  # stop-band attenuation in dB
    if a > 50.0:
        beta = 0.1102 * (a - 8.7)
    elif a >= 21.0:
        beta = 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21.0)
    else:
        beta = 0.0
    window = torch.kaiser_window(kernel_size, periodic=False, beta=beta)
    if kernel_size % 2 == 0:
        time = torch.arange(-half, half) + 0.5
    else:
        time = torch.arange(kernel_size) - half
    taps = 2 * cutoff * window * torch.sinc(2 * cutoff * time)
    return (taps / taps.sum()).view(1, 1, kernel_size)


class UpSample2x(nn.Module):
    """x2 upsampling by zero-stuffing and low-pass filtering (replicate-padded ends)."""

    def __init__(self, kernel_size: int = 12, ratio: int = 2):
        super().__init__()
        self.ratio = ratio
        self.pad = kernel_size // ratio - 1
        self.trim_left = self.pad * ratio + (kernel_size - ratio) // 2
        self.trim_right = self.pad * ratio + (kernel_size - ratio + 1) // 2
        self.register_buffer("filter", kaiser_sinc_filter(0.5 / ratio, 0.6 / ratio, kernel_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        x = F.pad(x, (self.pad, self.pad), mode="replicate")
        x = self.ratio * F.conv_transpose1d(x, self.filter.expand(c, -1, -1), stride=self.ratio, groups=c)
        return x[..., self.trim_left:-self.trim_right]  # (B, C, ratio * T)


class LowPassDownsample(nn.Module):
    """Low-pass filter then keep every ``stride``-th sample."""

    def __init__(self, kernel_size: int = 12, stride: int = 2):
        super().__init__()
        self.stride = stride
        self.pad_left = kernel_size // 2 - int(kernel_size % 2 == 0)
        self.pad_right = kernel_size // 2
        self.register_buffer("filter", kaiser_sinc_filter(0.5 / stride, 0.6 / stride, kernel_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        x = F.pad(x, (self.pad_left, self.pad_right), mode="replicate")
        return F.conv1d(x, self.filter.expand(c, -1, -1), stride=self.stride, groups=c)


class DownSample2x(nn.Module):
    def __init__(self, kernel_size: int = 12):
        super().__init__()
        self.lowpass = LowPassDownsample(kernel_size, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lowpass(x)


class Snake(nn.Module):
    """x + 1/alpha * sin^2(alpha x), per channel; alpha stored as log when ``logscale``."""

    def __init__(self, channels: int, logscale: bool):
        super().__init__()
        self.logscale = logscale
        self.alpha = nn.Parameter(torch.zeros(channels) if logscale else torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alpha = self.alpha[None, :, None]
        alpha = alpha.exp() if self.logscale else alpha
        return x + (1.0 / (alpha + 1e-9)) * torch.sin(x * alpha).pow(2)


class SnakeBeta(nn.Module):
    """x + 1/beta * sin^2(alpha x): separate frequency (alpha) and magnitude (beta) per channel."""

    def __init__(self, channels: int, logscale: bool):
        super().__init__()
        self.logscale = logscale
        init = torch.zeros(channels) if logscale else torch.ones(channels)
        self.alpha = nn.Parameter(init.clone())
        self.beta = nn.Parameter(init.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alpha, beta = self.alpha[None, :, None], self.beta[None, :, None]
        if self.logscale:
            alpha, beta = alpha.exp(), beta.exp()
        return x + (1.0 / (beta + 1e-9)) * torch.sin(x * alpha).pow(2)


class AntiAliasedActivation(nn.Module):
    """Periodic activation applied at twice the rate to keep its harmonics from aliasing."""

    def __init__(self, act: nn.Module):
        super().__init__()
        self.act = act
        self.upsample = UpSample2x()
        self.downsample = DownSample2x()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(self.act(self.upsample(x)))


def _activation(hp: BigVGANHParams, channels: int) -> AntiAliasedActivation:
    kind = Snake if hp.activation == "snake" else SnakeBeta
    return AntiAliasedActivation(kind(channels, hp.snake_logscale))


class AMPBlock1(nn.Module):
    """Residual pairs: act -> dilated conv -> act -> conv (dilation 1), for each dilation."""

    def __init__(self, hp: BigVGANHParams, channels: int, kernel_size: int, dilations: list[int]):
        super().__init__()
        self.convs1 = nn.ModuleList(nn.Conv1d(channels, channels, kernel_size, dilation=d,
                                              padding=get_padding(kernel_size, d)) for d in dilations)
        self.convs2 = nn.ModuleList(nn.Conv1d(channels, channels, kernel_size, padding=get_padding(kernel_size))
                                    for _ in dilations)
        self.activations = nn.ModuleList(_activation(hp, channels) for _ in range(2 * len(dilations)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        acts = list(self.activations)
        for c1, c2, a1, a2 in zip(self.convs1, self.convs2, acts[::2], acts[1::2]):
            x = x + c2(a2(c1(a1(x))))
        return x


class AMPBlock2(nn.Module):
    """Residual units: act -> dilated conv, for each dilation."""

    def __init__(self, hp: BigVGANHParams, channels: int, kernel_size: int, dilations: list[int]):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(channels, channels, kernel_size, dilation=d,
                                             padding=get_padding(kernel_size, d)) for d in dilations)
        self.activations = nn.ModuleList(_activation(hp, channels) for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, act in zip(self.convs, self.activations):
            x = x + conv(act(x))
        return x


class BigVGANGenerator(nn.Module):
    """mel (B, num_mels, frames) -> wave (B, 1, frames * prod(upsample_rates)); weight norm folded."""

    def __init__(self, hp: BigVGANHParams):
        super().__init__()
        hp.validate()
        self.hp = hp
        ch0 = hp.upsample_initial_channel
        self.conv_pre = nn.Conv1d(hp.num_mels, ch0, 7, padding=3)
        self.ups = nn.ModuleList(
            nn.ModuleList([NativeConvTranspose1d(ch0 // 2**i, ch0 // 2 ** (i + 1), k, u, padding=(k - u) // 2)])
            for i, (u, k) in enumerate(zip(hp.upsample_rates, hp.upsample_kernel_sizes)))
        block = AMPBlock1 if hp.resblock == "1" else AMPBlock2
        self.resblocks = nn.ModuleList()
        for i in range(len(self.ups)):
            ch = ch0 // 2 ** (i + 1)
            for k, d in zip(hp.resblock_kernel_sizes, hp.resblock_dilation_sizes):
                self.resblocks.append(block(hp, ch, k, d))
        self.activation_post = _activation(hp, ch)
        self.conv_post = nn.Conv1d(ch, 1, 7, padding=3, bias=hp.use_bias_at_final)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(mel)
        n = len(self.hp.resblock_kernel_sizes)
        for i, up in enumerate(self.ups):
            x = up[0](x)
            x = sum(self.resblocks[i * n + j](x) for j in range(n)) / n
        x = self.conv_post(self.activation_post(x))
        return torch.tanh(x) if self.hp.use_tanh_at_final else x.clamp(-1.0, 1.0)


class BigVGANVocoder(Vocoder):
    def __init__(self, generator: BigVGANGenerator, name: str = "bigvgan"):
        super().__init__()
        self.generator = generator
        hp = generator.hp
        self.sample_rate, self.hop_length, self.n_mels, self.mel_log = (
            hp.sampling_rate, hp.hop_length, hp.num_mels, hp.mel_log)
        self.name = name

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        return self.generator(mel).squeeze(1)


class BigVGANWeightsError(ValueError):
    """A BigVGAN file exists but does not have the expected layout."""


def read_hparams(weights_path: Path, version: str) -> BigVGANHParams:
    """config.json beside the weights (as the HF repos ship it); v1 falls back to MMAudio's config."""
    cfg_path = weights_path.parent / "config.json"
    mel_log = "log10" if version == "v1" else V2_MEL_LOG
    if cfg_path.is_file():
        return BigVGANHParams.from_json_dict(json.loads(cfg_path.read_text()), mel_log=mel_log)
    if version == "v1":
        return BIGVGAN_V1_16K
    raise FileNotFoundError(f"BigVGAN v2 needs config.json next to {weights_path} (it ships in the same "
                            f"Hugging Face repo: {VOCODER_WEIGHTS['bigvgan-v2-44k'].hf_repo})")


def load_bigvgan_generator(path: str | Path, hp: BigVGANHParams, how_to_get: str = "") -> BigVGANGenerator:
    """Read a ``{"generator": state_dict}`` file (weights_only), fold weight norm, strict-load."""
    path = Path(path)
    ckpt = load_weights_file(path, "BigVGAN weights (audio.vocoder.path / audio.vocoder.weights)",
                             f"To provide it: {how_to_get}" if how_to_get else "")
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("generator"), dict):
        raise BigVGANWeightsError(f"{path}: expected a BigVGAN generator file {{'generator': state_dict}}, got "
                                  f"keys {list(ckpt)[:5] if isinstance(ckpt, dict) else type(ckpt).__name__}. "
                                  f"To provide it: {how_to_get}")
    state = fold_weight_norm(ckpt["generator"])
    with torch.device("meta"):  # shapes only: a wrong file fails before allocating the real model
        expected = {k: v.shape for k, v in BigVGANGenerator(hp).state_dict().items()}
    diff = state_dict_differences(expected, state)
    if diff:
        raise BigVGANWeightsError(f"{path} does not fit the BigVGAN config (upsample_initial_channel="
                                  f"{hp.upsample_initial_channel}, num_mels={hp.num_mels}): {diff}. To provide "
                                  f"the right file: {how_to_get}")
    model = BigVGANGenerator(hp)
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False)


def load_bigvgan(weights: str | None, path: str | None, version: str) -> BigVGANVocoder:
    """Resolve the file through unison.core.weights, read its config, load the generator."""
    if weights is None and path is None:
        raise ValueError("BigVGAN needs weights (a name from VOCODER_WEIGHTS) or an explicit path")
    if weights is not None and weights not in VOCODER_WEIGHTS:
        raise ValueError(f"unknown vocoder weights {weights!r}; known: {sorted(VOCODER_WEIGHTS)}")
    default = "bigvgan-v1-16k" if version == "v1" else "bigvgan-v2-44k"
    spec = VOCODER_WEIGHTS[weights or default]
    file = resolve(spec, path)
    gen = load_bigvgan_generator(file, read_hparams(file, version), spec.how_to_get)
    log.info("vocoder: BigVGAN %s from %s", version, file)
    return BigVGANVocoder(gen, name=f"BigVGAN {version} ({file.name})")
