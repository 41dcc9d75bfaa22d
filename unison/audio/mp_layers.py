"""EDM2 magnitude-preserving building blocks (Karras et al. 2024), as MMAudio's VAE uses them.

Facts matched (hkchengrex/MMAudio mmaudio/ext/autoencoder/edm2_utils.py): convolutions have no
bias and a single ``weight`` parameter (out, in, k) under *forced* weight normalisation: the
effective weight is w / (eps * sqrt(fan_in) + ||w_o||), i.e. every output filter has unit L2 norm
(so unit-variance inputs give unit-variance outputs); SiLU is divided by 0.596; sums are lerps rescaled to unit
magnitude. Published checkpoints store the raw ``weight``; ``remove_weight_norm()`` bakes the
normalisation in once, after which forward uses ``weight`` as is.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

_EPS = 1e-4


def normalize(x: torch.Tensor, dim: int | list[int] | None = None, eps: float = _EPS) -> torch.Tensor:
    """Scale x to unit RMS magnitude over ``dim`` (default: all but the first dimension)."""
    if dim is None:
        dim = list(range(1, x.ndim))
    norm = torch.linalg.vector_norm(x, dim=dim, keepdim=True, dtype=torch.float32)
    # RMS over the reduced dims = norm * sqrt(kept / total elements)
    norm = eps + norm * math.sqrt(norm.numel() / x.numel())
    return x / norm.to(x.dtype)


def mp_silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU rescaled so a unit-variance Gaussian input keeps unit magnitude."""
    return F.silu(x) / 0.596


def mp_sum(a: torch.Tensor, b: torch.Tensor, t: float = 0.5) -> torch.Tensor:
    """(1 - t) a + t b, rescaled to preserve magnitude of independent unit inputs."""
    return a.lerp(b, t) / math.sqrt((1 - t) ** 2 + t**2)


def forced_weight_norm(weight: torch.Tensor) -> torch.Tensor:
    """Effective weight of an MP convolution: each output filter scaled to unit L2 norm."""
    w = normalize(weight.float())
    return (w / math.sqrt(w[0].numel())).to(weight.dtype)


class MPConv1d(nn.Module):
    """Bias-free 1-D convolution with 'same' padding and forced weight normalisation."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size))  # (out, in, k)
        self.weight_norm_removed = False

    def effective_weight(self) -> torch.Tensor:
        return self.weight if self.weight_norm_removed else forced_weight_norm(self.weight)

    def forward(self, x: torch.Tensor, gain: torch.Tensor | float = 1.0) -> torch.Tensor:
        w = self.effective_weight() * gain
        return F.conv1d(x, w, padding=w.shape[-1] // 2)

    @torch.no_grad()
    def remove_weight_norm(self) -> None:
        """Bake the normalisation into ``weight`` (idempotent: a second call does nothing)."""
        if not self.weight_norm_removed:
            self.weight.copy_(forced_weight_norm(self.weight))
            self.weight_norm_removed = True
