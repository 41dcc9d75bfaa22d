"""What every vocoder is: mel (B, n_mels, frames) -> wave (B, frames * hop) at ``sample_rate``."""
from __future__ import annotations

import torch
from torch import nn

from unison.config import MelConfig


class VocoderUnavailableError(RuntimeError):
    """A vocoder cannot be built on this machine (missing package or weights); says why and how to fix."""


class Vocoder(nn.Module):
    """Base class. Subclasses set the mel they were trained on and implement ``vocode``."""

    sample_rate: int
    hop_length: int
    n_mels: int
    mel_log: str  # "log10" | "ln": the log base of the mel it expects
    name: str = "vocoder"

    def check_mel_config(self, mel: MelConfig) -> None:
        """Raise ValueError when ``mel`` is not the front end this vocoder was trained on."""
        want = {"sample_rate": self.sample_rate, "hop_length": self.hop_length, "n_mels": self.n_mels,
                "log": self.mel_log}
        got = {k: getattr(mel, k) for k in want}
        bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
        if bad:
            detail = ", ".join(f"mel.{k}={g!r} (vocoder needs {w!r})" for k, (g, w) in bad.items())
            raise ValueError(f"{self.name} does not fit the configured mel front end: {detail}. "
                             "Pick the audio preset made for this vocoder (e.g. audio=16k, 44k or tiny22k).")

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        if mel.dim() != 3 or mel.shape[1] != self.n_mels:
            raise ValueError(f"{self.name} expects a mel (batch, {self.n_mels}, frames), got {tuple(mel.shape)}")
        wave = self.vocode(mel)  # (B, frames * hop)
        if not torch.isfinite(wave).all():
            raise FloatingPointError(f"{self.name} produced non-finite samples (check the mel input for NaN/inf)")
        return wave
