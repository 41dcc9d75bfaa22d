"""AudioCodec: wave <-> normalised latent (B, T, C), the space the flow model works in.

encode: wave (B, samples) at the codec's rate -> zero-pad the end to a multiple of 2 * hop ->
mel (B, n_mels, 2T) -> VAE posterior mean (B, C, T) -> (B, T, C) -> (z - mean) / std.
decode: the reverse through the VAE decoder and the vocoder, giving exactly T * 2 * hop samples.
No resampling happens here: a wave at another rate is an error (resample it with soxr first).
"""
from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

from unison.audio.latent_stats import LatentStats
from unison.audio.mel import MelSpectrogram
from unison.audio.sequence import latent_length, num_samples
from unison.audio.vae import MMAudioVAE, load_vae
from unison.audio.vocoder import Vocoder, build_vocoder
from unison.config import AudioConfig

log = logging.getLogger(__name__)


class AudioCodec(nn.Module):
    def __init__(self, mel: MelSpectrogram, vae: MMAudioVAE, vocoder: Vocoder, stats: LatentStats | None):
        super().__init__()
        if vae.cfg.data_dim != mel.cfg.n_mels:
            raise ValueError(f"VAE data_dim {vae.cfg.data_dim} != mel n_mels {mel.cfg.n_mels}")
        vocoder.check_mel_config(mel.cfg)
        if stats is not None and stats.channels != vae.cfg.latent_channels:
            raise ValueError(f"latent statistics have {stats.channels} channels, the VAE {vae.cfg.latent_channels}")
        self.mel, self.vae, self.vocoder, self.stats = mel, vae, vocoder, stats

    @property
    def sample_rate(self) -> int:
        return self.mel.cfg.sample_rate

    @property
    def hop_length(self) -> int:
        return self.mel.cfg.hop_length

    @property
    def latent_channels(self) -> int:
        return self.vae.cfg.latent_channels

    def latent_len(self, seconds: float) -> int:
        return latent_length(seconds, self.sample_rate, self.hop_length)

    def num_samples(self, latent_len: int) -> int:
        return num_samples(latent_len, self.hop_length)

    def _check_wave(self, wave: torch.Tensor, sample_rate: int | None) -> None:
        if sample_rate is not None and sample_rate != self.sample_rate:
            raise ValueError(f"wave is at {sample_rate} Hz but this codec works at {self.sample_rate} Hz; "
                             "resample it first (e.g. soxr.resample(x, sr, codec.sample_rate, 'HQ'))")
        if wave.dim() != 2:
            raise ValueError(f"AudioCodec.encode expects a mono wave (batch, samples), got {tuple(wave.shape)}")

    @torch.no_grad()
    def posterior_means(self, wave: torch.Tensor, sample_rate: int | None = None) -> torch.Tensor:
        """Un-normalised VAE posterior means (B, T, C), T = ceil(samples / (2 * hop))."""
        self._check_wave(wave, sample_rate)
        block = 2 * self.hop_length
        wave = F.pad(wave, (0, -wave.shape[-1] % block))  # trailing zeros up to whole latent frames
        mel = self.mel(wave)  # (B, n_mels, 2T)
        return self.vae.encode(mel).mean.transpose(1, 2)  # (B, T, C)

    @torch.no_grad()
    def encode(self, wave: torch.Tensor, sample_rate: int | None = None) -> torch.Tensor:
        """wave (B, samples) -> z (B, T, C), normalised by the latent statistics when present.

        ``sample_rate`` (optional) is checked against the codec's rate; None means the caller
        guarantees the codec's rate.
        """
        z = self.posterior_means(wave, sample_rate)
        return self.stats.normalize(z) if self.stats is not None else z

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, T, C) -> wave (B, T * 2 * hop)."""
        if z.dim() != 3 or z.shape[-1] != self.latent_channels:
            raise ValueError(f"AudioCodec.decode expects z (batch, frames, {self.latent_channels}), got {tuple(z.shape)}")
        if self.stats is not None:
            z = self.stats.denormalize(z)
        mel = self.vae.decode(z.transpose(1, 2))  # (B, n_mels, 2T)
        return self.vocoder(mel)  # (B, 2T * hop)


def build_codec(cfg: AudioConfig, stats: LatentStats | None) -> AudioCodec:
    """Mel front end + VAE (through unison.core.weights) + vocoder, checked to agree with each other."""
    mel = MelSpectrogram(cfg.mel)
    vae = load_vae(cfg.vae)
    vocoder = build_vocoder(cfg.vocoder, cfg.mel)
    codec = AudioCodec(mel, vae, vocoder, stats).eval()
    log.info("codec: %d Hz, %d latent channels, %s", codec.sample_rate, codec.latent_channels, vocoder.name)
    return codec
