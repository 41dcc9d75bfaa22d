"""What every vocoder is: mel (B, n_mels, frames) -> wave (B, frames * hop) at ``sample_rate``."""
from __future__ import annotations

import torch
from torch import nn

from unison.config import MelConfig


class NativeConvTranspose1d(nn.ConvTranspose1d):
    """nn.ConvTranspose1d run by ATen's own kernel (im2col + BLAS) instead of oneDNN's deconvolution,
    whose float32 sums depend on the thread count (up to 2e-6 on a vocoder's last upsampling layer
    between 1 and 2 threads); the native kernel is thread-independent and no slower at vocoder sizes.
    Same parameters and names as nn.ConvTranspose1d, so published weights load unchanged."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        onednn = torch.backends.mkldnn.enabled
        torch.backends.mkldnn.enabled = False
        try:
            return super().forward(x, output_size)
        finally:
            torch.backends.mkldnn.enabled = onednn


def use_native_transposed_convs(module: nn.Module) -> nn.Module:
    """Switch every nn.ConvTranspose1d inside a third-party generator to NativeConvTranspose1d."""
    for m in module.modules():
        if type(m) is nn.ConvTranspose1d:
            m.__class__ = NativeConvTranspose1d
    return module


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
