"""Rectified-flow training pieces (docs/design.md §3): noising, target velocity, masked loss,
training-time t distribution and text dropout for classifier-free guidance. Noise is at t = 1."""
from __future__ import annotations

import torch
from torch import Tensor

from unison.config import FlowConfig


def _bcast(t: Tensor, like: Tensor) -> Tensor:
    """(B,) -> (B, 1, 1) so it scales a (B, T, C) latent."""
    return t.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))


def noised(z: Tensor, eps: Tensor, t: Tensor) -> Tensor:
    """z_t = (1 - t) z + t eps; z, eps (B, T, C), t (B,)."""
    tb = _bcast(t, z)
    return (1 - tb) * z + tb * eps


def target_velocity(z: Tensor, eps: Tensor) -> Tensor:
    """u = eps - z = d z_t / dt."""
    return eps - z


def flow_loss(v_pred: Tensor, u: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error on the target channels over the frames selected by ``mask`` (B, T).
    Normalised by the number of counted elements, so a zero-shot prefix does not dilute the loss."""
    if v_pred.shape != u.shape:
        raise ValueError(f"prediction shape {tuple(v_pred.shape)} != target shape {tuple(u.shape)}")
    err = (v_pred.float() - u.float()).pow(2)  # (B, T, C)
    if mask is None:
        return err.mean()
    m = mask.to(err.dtype)[..., None]  # (B, T, 1)
    denom = m.sum() * err.shape[-1]
    if denom <= 0:
        raise ValueError("loss mask selects no frames")
    return (err * m).sum() / denom


def sample_t(batch: int, distribution: str, generator: torch.Generator | None = None,
             device: torch.device | str | None = None) -> Tensor:
    """Training times (B,) in (0, 1): ``uniform`` or ``logit_normal`` (sigmoid of N(0, 1))."""
    if distribution == "uniform":
        return torch.rand(batch, generator=generator, device=device)
    if distribution == "logit_normal":
        return torch.sigmoid(torch.randn(batch, generator=generator, device=device))
    raise ValueError(f"unknown flow.t_distribution {distribution!r}; use 'uniform' or 'logit_normal'")


def training_times(cfg: FlowConfig, batch: int, generator: torch.Generator | None = None,
                   device: torch.device | str | None = None) -> Tensor:
    """t (B,) drawn from ``cfg.t_distribution`` of a FlowConfig."""
    return sample_t(batch, cfg.t_distribution, generator, device)


def pad_text(hidden: Tensor, mask: Tensor, length: int) -> tuple[Tensor, Tensor]:
    """Right-pad text features (B, n_layers, S, H) and mask (B, S) to S = ``length``."""
    S = hidden.shape[2]
    if S > length:
        raise ValueError(f"cannot pad {S} text tokens down to {length}")
    if S == length:
        return hidden, mask
    pad = length - S
    hidden = torch.nn.functional.pad(hidden, (0, 0, 0, pad))
    mask = torch.nn.functional.pad(mask, (0, pad), value=False)
    return hidden, mask


def concat_text(a: tuple[Tensor, Tensor], b: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """Batch-concatenate two (hidden, mask) pairs padded to a common length."""
    length = max(a[0].shape[2], b[0].shape[2])
    ha, ma = pad_text(*a, length)
    hb, mb = pad_text(*b, length)
    return torch.cat([ha, hb.to(ha.dtype)]), torch.cat([ma, mb])


def drop_text(hidden: Tensor, mask: Tensor, empty_hidden: Tensor, empty_mask: Tensor, p: float,
              generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Replace each item's text features by the empty-prompt features with probability ``p``.

    hidden (B, n_layers, S, H), mask (B, S); empty_hidden (1, n_layers, S0, H), empty_mask (1, S0).
    Returns (hidden, mask, dropped (B,) bool), padded to max(S, S0)."""
    B = hidden.shape[0]
    dropped = torch.rand(B, generator=generator, device=hidden.device) < p  # (B,)
    length = max(hidden.shape[2], empty_hidden.shape[2])
    hidden, mask = pad_text(hidden, mask, length)
    eh, em = pad_text(empty_hidden, empty_mask, length)
    sel = dropped.view(B, 1, 1, 1)
    hidden = torch.where(sel, eh.to(hidden.dtype).expand_as(hidden), hidden)
    mask = torch.where(dropped[:, None], em.expand_as(mask), mask)
    return hidden, mask, dropped
