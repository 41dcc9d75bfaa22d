"""Per-channel latent normalisation: mean/std of VAE posterior means over a training set.

The flow model works on (z - mean) / std; the statistics live in the UNISON checkpoint.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch


@dataclass
class LatentStats:
    mean: torch.Tensor  # (C,)
    std: torch.Tensor  # (C,)

    def __post_init__(self):
        if self.mean.dim() != 1 or self.mean.shape != self.std.shape:
            raise ValueError(f"LatentStats needs mean and std of shape (C,), got {tuple(self.mean.shape)} "
                             f"and {tuple(self.std.shape)}")
        if not torch.all(self.std > 0):
            raise ValueError("LatentStats.std must be > 0 in every channel (a constant channel cannot be normalised)")

    @property
    def channels(self) -> int:
        return self.mean.shape[0]

    def _check(self, z: torch.Tensor) -> None:
        if z.shape[-1] != self.channels:
            raise ValueError(f"latent has {z.shape[-1]} channels, the statistics {self.channels}")

    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        """(B, T, C) raw posterior means -> normalised latents."""
        self._check(z)
        return (z - self.mean.to(z)) / self.std.to(z)

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        self._check(z)
        return z * self.std.to(z) + self.mean.to(z)

    @classmethod
    def compute(cls, latents: Iterable[torch.Tensor]) -> "LatentStats":
        """Streaming mean/std over every frame of every latent, each (T, C) or (B, T, C)."""
        count, total, total_sq = 0, None, None
        for z in latents:
            flat = z.detach().reshape(-1, z.shape[-1]).double()  # (frames, C)
            if total is None:
                total, total_sq = torch.zeros(flat.shape[1], dtype=torch.float64), torch.zeros(flat.shape[1], dtype=torch.float64)
            elif flat.shape[1] != total.shape[0]:
                raise ValueError(f"latents disagree on channel count: {flat.shape[1]} vs {total.shape[0]}")
            count += flat.shape[0]
            total += flat.sum(0)
            total_sq += flat.pow(2).sum(0)
        if count < 2:
            raise ValueError("LatentStats.compute needs at least 2 latent frames")
        mean = total / count
        var = (total_sq - count * mean.pow(2)) / (count - 1)  # unbiased
        return cls(mean.float(), var.clamp(min=0).sqrt().float())

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"latent_mean": self.mean.clone(), "latent_std": self.std.clone()}

    @classmethod
    def from_state_dict(cls, d: dict[str, torch.Tensor]) -> "LatentStats":
        missing = [k for k in ("latent_mean", "latent_std") if k not in d]
        if missing:
            raise KeyError(f"latent statistics missing from the checkpoint: {missing}")
        return cls(d["latent_mean"].float(), d["latent_std"].float())
