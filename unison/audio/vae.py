"""The MMAudio mel VAE (docs/design.md §2), with MMAudio's exact module tree and parameter names.

Module names, nesting and shapes follow the public facts of hkchengrex/MMAudio
(mmaudio/ext/autoencoder/{vae,vae_modules,edm2_utils}.py) so that the published ``v1-16.pth`` and
``v1-44.pth`` load with ``strict=True``:

    data_mean, data_std                      (1, data_dim, 1) buffers: per-bin mel normalisation
    encoder.conv_in -> encoder.down[l].block[b] (l = 0..2) -> encoder.down[0].downsample (x1/2 time)
            -> encoder.mid.{block_1, attn_1, block_2} -> mp_silu -> encoder.conv_out (2C channels)
    decoder.conv_in -> decoder.mid.{...} -> decoder.up[l].block[b] (l = 2..0, 3 blocks each)
            -> decoder.up[1].upsample (x2 time) -> mp_silu -> decoder.conv_out (data_dim channels)

Channel widths are hidden * (1, 2, 4) per level; activations are clamped to +-256 after each
block; both conv_out layers carry a scalar ``learnable_gain`` (gain = 1 + learnable_gain).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from unison.audio import mmaudio_mel_stats
from unison.audio.mp_layers import MPConv1d, mp_silu, mp_sum, normalize
from unison.audio.state_dicts import state_dict_differences
from unison.config import VAEConfig
from unison.core.weights import WeightSpec, load_weights_file, resolve

log = logging.getLogger(__name__)

_CLIP_ACT = 256.0  # activation clamp after every block (MMAudio's clip_act)
_RES_T = 0.3  # mp_sum weight of the residual branch in res and attention blocks
_LOGVAR_RANGE = (-30.0, 20.0)

VAE_WEIGHTS: dict[str, WeightSpec] = {
    "mmaudio-vae-16k": WeightSpec(
        name="mmaudio-vae-16k", filename="v1-16.pth",
        how_to_get="download v1-16.pth (MMAudio release v0.1, md5 69f56803f59a549a1a507c93859fd4d7) from "
                   "https://github.com/hkchengrex/MMAudio/releases/download/v0.1/v1-16.pth",
        url="https://github.com/hkchengrex/MMAudio/releases/download/v0.1/v1-16.pth"),
    "mmaudio-vae-44k": WeightSpec(
        name="mmaudio-vae-44k", filename="v1-44.pth",
        how_to_get="download v1-44.pth (MMAudio release v0.1, md5 fab020275fa44c6589820ce025191600) from "
                   "https://github.com/hkchengrex/MMAudio/releases/download/v0.1/v1-44.pth",
        url="https://github.com/hkchengrex/MMAudio/releases/download/v0.1/v1-44.pth"),
}


class VAEWeightsMismatchError(ValueError):
    """A VAE weight file exists but its keys or shapes differ from the configured architecture."""


@dataclass
class DiagonalGaussian:
    """Posterior q(z | mel): mean and log-variance, each (B, C, T)."""

    mean: torch.Tensor
    logvar: torch.Tensor

    @classmethod
    def from_moments(cls, moments: torch.Tensor) -> "DiagonalGaussian":
        mean, logvar = moments.chunk(2, dim=1)  # (B, 2C, T) -> 2 x (B, C, T)
        return cls(mean, logvar.clamp(*_LOGVAR_RANGE))

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.empty_like(self.mean).normal_(generator=generator)
        return self.mean + self.std * noise

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl(self) -> torch.Tensor:
        """Elementwise KL to N(0, I) (MMAudio's form, without the 0.5 on var and logvar)."""
        return 0.5 * self.mean.pow(2) + torch.exp(self.logvar) - 1.0 - self.logvar


class ResBlock1d(nn.Module):
    """Pixel-normalised pre-activation residual block; 1x1 ``nin_shortcut`` when widths differ."""

    def __init__(self, in_dim: int, out_dim: int, kernel_size: int = 3):
        super().__init__()
        self.conv1 = MPConv1d(in_dim, out_dim, kernel_size)
        self.conv2 = MPConv1d(out_dim, out_dim, kernel_size)
        self.nin_shortcut = MPConv1d(in_dim, out_dim, 1) if in_dim != out_dim else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = normalize(x, dim=1)
        h = self.conv2(mp_silu(self.conv1(mp_silu(x))))
        if self.nin_shortcut is not None:
            x = self.nin_shortcut(x)
        return mp_sum(x, h, t=_RES_T)


class AttnBlock1d(nn.Module):
    """Single-head self-attention over time with cosine (normalised) q, k, v."""

    def __init__(self, channels: int):
        super().__init__()
        self.qkv = MPConv1d(channels, channels * 3, 1)
        self.proj_out = MPConv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t = x.shape
        # qkv channels are interleaved as (c, 3): channel index = 3 * c + {0: q, 1: k, 2: v}
        y = self.qkv(x).reshape(b, 1, c, 3, t)
        q, k, v = normalize(y, dim=2).unbind(3)  # 3 x (B, 1, C, T)
        h = F.scaled_dot_product_attention(q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2))
        h = h.transpose(-1, -2).reshape(b, c, t)  # (B, C, T)
        return mp_sum(x, self.proj_out(h), t=_RES_T)


class Downsample1d(nn.Module):
    """1x1 conv, average-pool time by 2, 1x1 conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = MPConv1d(channels, channels, 1)
        self.conv2 = MPConv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.avg_pool1d(self.conv1(x), kernel_size=2, stride=2))


class Upsample1d(nn.Module):
    """Nearest-neighbour x2 in time, then a k=3 conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = MPConv1d(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest-exact"))


class MidBlock(nn.Module):
    """res -> attention -> res at the widest level (names block_1, attn_1, block_2)."""

    def __init__(self, channels: int):
        super().__init__()
        self.block_1 = ResBlock1d(channels, channels)
        self.attn_1 = AttnBlock1d(channels)
        self.block_2 = ResBlock1d(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block_2(self.attn_1(self.block_1(x))).clamp(-_CLIP_ACT, _CLIP_ACT)


class Level(nn.Module):
    """One resolution level: ``block`` (a list of res blocks) and an optional resampler."""

    def __init__(self, blocks: list[ResBlock1d]):
        super().__init__()
        self.block = nn.ModuleList(blocks)

    def run_blocks(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.block:
            x = blk(x).clamp(-_CLIP_ACT, _CLIP_ACT)
        return x


class Encoder1d(nn.Module):
    """mel (B, data_dim, T) -> posterior moments (B, 2C, T / 2)."""

    def __init__(self, data_dim: int, latent_channels: int, hidden: int, channel_mult: list[int],
                 res_blocks: int):
        super().__init__()
        self.learnable_gain = nn.Parameter(torch.zeros([]))
        self.conv_in = MPConv1d(data_dim, hidden, 3)
        self.down = nn.ModuleList()
        width = hidden
        for level, mult in enumerate(channel_mult):
            blocks = []
            for _ in range(res_blocks):
                blocks.append(ResBlock1d(width, hidden * mult))
                width = hidden * mult
            lvl = Level(blocks)
            if level == 0:  # the one x1/2 time downsample, after the first level
                lvl.downsample = Downsample1d(width)
            self.down.append(lvl)
        self.mid = MidBlock(width)
        self.conv_out = MPConv1d(width, 2 * latent_channels, 3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(mel)
        for lvl in self.down:
            h = lvl.run_blocks(h)
            if hasattr(lvl, "downsample"):
                h = lvl.downsample(h)
        h = self.mid(h)
        return self.conv_out(mp_silu(h), gain=1.0 + self.learnable_gain)


class Decoder1d(nn.Module):
    """latent (B, C, T') -> normalised mel (B, data_dim, 2 T')."""

    def __init__(self, data_dim: int, latent_channels: int, hidden: int, channel_mult: list[int],
                 res_blocks: int):
        super().__init__()
        self.learnable_gain = nn.Parameter(torch.zeros([]))
        width = hidden * channel_mult[-1]
        self.conv_in = MPConv1d(latent_channels, width, 3)
        self.mid = MidBlock(width)
        levels: list[Level] = []
        for level in reversed(range(len(channel_mult))):
            blocks = []
            for _ in range(res_blocks + 1):
                blocks.append(ResBlock1d(width, hidden * channel_mult[level]))
                width = hidden * channel_mult[level]
            lvl = Level(blocks)
            if level == 1:  # mirrors the encoder's downsample: x2 time after level 1
                lvl.upsample = Upsample1d(width)
            levels.insert(0, lvl)  # up[l] is stored at index l, run from deepest to shallowest
        self.up = nn.ModuleList(levels)
        self.conv_out = MPConv1d(width, data_dim, 3)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.conv_in(z))
        for lvl in reversed(self.up):
            h = lvl.run_blocks(h)
            if hasattr(lvl, "upsample"):
                h = lvl.upsample(h)
        return self.conv_out(mp_silu(h), gain=1.0 + self.learnable_gain)


def _mel_stats(data_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """MMAudio's per-bin constants for 80/128 bins; identity normalisation otherwise."""
    table = {80: (mmaudio_mel_stats.MEL_MEAN_80, mmaudio_mel_stats.MEL_STD_80),
             128: (mmaudio_mel_stats.MEL_MEAN_128, mmaudio_mel_stats.MEL_STD_128)}
    if data_dim in table:
        mean, std = (torch.tensor(v, dtype=torch.float32) for v in table[data_dim])
    else:
        mean, std = torch.zeros(data_dim), torch.ones(data_dim)
    return mean.view(1, -1, 1), std.view(1, -1, 1)  # (1, data_dim, 1)


class MMAudioVAE(nn.Module):
    """mel (B, data_dim, T) <-> latent (B, C, T / 2); T must be even."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        if len(cfg.channel_mult) < 2:
            raise ValueError(f"VAEConfig.channel_mult needs >= 2 levels (down after level 0, up after "
                             f"level 1), got {cfg.channel_mult}")
        self.cfg = cfg
        mean, std = _mel_stats(cfg.data_dim)
        self.register_buffer("data_mean", mean)
        self.register_buffer("data_std", std)
        args = (cfg.data_dim, cfg.latent_channels, cfg.hidden, list(cfg.channel_mult), cfg.res_blocks)
        self.encoder = Encoder1d(*args)
        self.decoder = Decoder1d(*args)

    @property
    def latent_channels(self) -> int:
        return self.cfg.latent_channels

    def normalize(self, mel: torch.Tensor) -> torch.Tensor:
        return (mel - self.data_mean) / self.data_std

    def unnormalize(self, mel: torch.Tensor) -> torch.Tensor:
        return mel * self.data_std + self.data_mean

    def encode(self, mel: torch.Tensor) -> DiagonalGaussian:
        if mel.dim() != 3 or mel.shape[1] != self.cfg.data_dim:
            raise ValueError(f"VAE.encode expects a mel (batch, {self.cfg.data_dim}, frames), got {tuple(mel.shape)}")
        if mel.shape[-1] % 2:
            raise ValueError(f"VAE.encode needs an even number of mel frames (time is halved), got {mel.shape[-1]}")
        return DiagonalGaussian.from_moments(self.encoder(self.normalize(mel)))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 3 or z.shape[1] != self.cfg.latent_channels:
            raise ValueError(f"VAE.decode expects a latent (batch, {self.cfg.latent_channels}, T), got {tuple(z.shape)}")
        return self.unnormalize(self.decoder(z))

    def forward(self, mel: torch.Tensor, sample_posterior: bool = True,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, DiagonalGaussian]:
        posterior = self.encode(mel)
        z = posterior.sample(generator) if sample_posterior else posterior.mode()
        return self.decode(z), posterior

    def remove_weight_norm(self) -> "MMAudioVAE":
        """Bake forced weight normalisation into every MP conv (after loading real weights)."""
        for m in self.modules():
            if isinstance(m, MPConv1d):
                m.remove_weight_norm()
        return self


def load_vae(cfg: VAEConfig) -> MMAudioVAE:
    """Build the VAE and load its weights (strict); random init when no weights are configured.

    Loaded weights have weight normalisation baked in and are frozen in eval mode.
    """
    model = MMAudioVAE(cfg)
    if cfg.weights is None and cfg.path is None:
        log.info("VAE: no weights configured, random initialisation (forced weight norm stays live)")
        return model
    if cfg.weights is not None and cfg.weights not in VAE_WEIGHTS:
        raise ValueError(f"unknown VAE weights {cfg.weights!r}; known: {sorted(VAE_WEIGHTS)} "
                         "(or set weights: null and path: /path/to/file.pth)")
    spec = VAE_WEIGHTS.get(cfg.weights) or WeightSpec(name="vae", filename=Path(cfg.path).name,
                                                      how_to_get="point VAEConfig.path at the file")
    path = resolve(spec, cfg.path)
    state = load_weights_file(path, "VAE weights (audio.vae.path / audio.vae.weights)", f"To provide it: {spec.how_to_get}")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise VAEWeightsMismatchError(f"{path}: expected a plain state dict (name -> tensor) as MMAudio publishes "
                                      f"it; got {type(state).__name__}. To provide it: {spec.how_to_get}")
    expected = {k: v.shape for k, v in model.state_dict().items()}
    diff = state_dict_differences(expected, state)
    if diff:
        raise VAEWeightsMismatchError(
            f"{path} does not fit the VAE configured as data_dim={cfg.data_dim}, latent_channels="
            f"{cfg.latent_channels}, hidden={cfg.hidden}: {diff}. Check VAEConfig against the file, or "
            f"provide the right file: {spec.how_to_get}")
    model.load_state_dict(state, strict=True)
    model.remove_weight_norm().eval().requires_grad_(False)
    log.info("VAE: loaded %s (%s)", path, spec.name)
    return model
