"""ODE sampling from noise (t = 1) to data (t = 0) with classifier-free guidance (docs/design.md §4).

The solver loop is deliberately tiny so it can be checked against the math:
Euler ``z += (t_next - t) * v(z, t)``; midpoint and Heun are the usual second-order variants.
CFG is ``v = v_u + w (v_c - v_u)`` with the conditional and unconditional branches stacked into ONE
batched forward, and the text conditions prepared once per call (they do not depend on t).

Batch invariance: each item of a batch is integrated on its own (its cond/uncond pair is the
forward's batch of 2, its text trimmed to its own tokens). Matrix kernels pick their blocking and
reduction order from the operand shapes, so a batched forward gives an item different low bits
depending on its batch-mates and their text lengths; one item per forward gives the same bits
whatever batch the caller assembled (with unison.core.determinism's thread-independent matmuls, also
whatever the thread count).
"""
from __future__ import annotations

import logging
from typing import Callable

import torch
from torch import Tensor

from unison.config import SOLVERS
from unison.flow import concat_text
from unison.tasks import build_input

log = logging.getLogger(__name__)

Velocity = Callable[[Tensor, float], Tensor]  # (z (B, T, C), t) -> v (B, T, C)
CFG_FORMULAS = ("uncond+w*(cond-uncond)",)


class NonFiniteLatentError(FloatingPointError):
    """The latent became NaN/inf during sampling (names the step)."""


def time_grid(steps: int) -> list[float]:
    if steps < 1:
        raise ValueError(f"sampling steps must be >= 1, got {steps}")
    return [1.0 - i / steps for i in range(steps + 1)]  # 1 -> 0


def euler_step(v: Velocity, z: Tensor, t: float, t_next: float) -> Tensor:
    return z + (t_next - t) * v(z, t)


def midpoint_step(v: Velocity, z: Tensor, t: float, t_next: float) -> Tensor:
    h = t_next - t
    return z + h * v(z + 0.5 * h * v(z, t), t + 0.5 * h)


def heun_step(v: Velocity, z: Tensor, t: float, t_next: float) -> Tensor:
    h = t_next - t
    v0 = v(z, t)
    v1 = v(z + h * v0, t_next)
    return z + 0.5 * h * (v0 + v1)


STEP_FNS = {"euler": euler_step, "midpoint": midpoint_step, "heun": heun_step}


def integrate(v: Velocity, z: Tensor, steps: int, solver: str = "euler",
              after_step: Callable[[Tensor, float], Tensor] | None = None) -> Tensor:
    """Integrate dz/dt = v from t = 1 to t = 0. ``after_step(z, t)`` may re-impose known frames."""
    if solver not in STEP_FNS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    step, ts = STEP_FNS[solver], time_grid(steps)
    for i in range(steps):
        z = step(v, z, ts[i], ts[i + 1])
        if after_step is not None:
            z = after_step(z, ts[i + 1])
        if not torch.isfinite(z).all():
            raise NonFiniteLatentError(
                f"non-finite latent at sampling step {i + 1}/{steps} (t={ts[i + 1]:.4f}, solver={solver}); "
                "check the checkpoint weights, the latent stats and the CFG scale"
            )
    return z


class GuidedVelocity:
    """v(z, t) of the DiT for fixed text conditions, source latent and task channel; with CFG the
    cond and uncond halves go through one forward of batch 2B."""

    def __init__(self, model: torch.nn.Module, cond, z_s: Tensor | None, m: int | Tensor,
                 cfg_scale: float | None):
        self.model, self.cond, self.z_s, self.m, self.w = model, cond, z_s, m, cfg_scale
        self.dtype = next(model.parameters()).dtype

    def __call__(self, z: Tensor, t: float) -> Tensor:
        x = build_input(z, self.z_s, self.m).to(self.dtype)  # (B, T, 2C+1)
        if self.w is not None:
            x = torch.cat([x, x])  # (2B, T, 2C+1): [cond; uncond]
        tt = torch.full((x.shape[0],), t, device=x.device)  # float32: bf16 would quantise t
        v = self.model(x, tt, self.cond).to(z.dtype)
        if self.w is None:
            return v
        v_c, v_u = v.chunk(2)
        return v_u + self.w * (v_c - v_u)


class PrefixClamp:
    """Keeps zero-shot TTS reference frames on their flow path (1 - t) z_ref + t eps after each step."""

    def __init__(self, z_ref: Tensor, keep: Tensor, noise: Tensor):
        self.z_ref, self.keep, self.noise = z_ref, keep[..., None], noise  # keep (B, T) bool -> (B, T, 1)

    def __call__(self, z: Tensor, t: float) -> Tensor:
        return torch.where(self.keep, (1 - t) * self.z_ref + t * self.noise, z)


def own_tokens(hidden: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """One prompt's features (1, n_layers, S, H) and mask (1, S) cut after its last real token, so the
    padding a batch gave it (set by its batch-mates' lengths) cannot reach the forward."""
    n = int(mask[0].nonzero().max()) + 1 if bool(mask.any()) else 1  # an empty prompt keeps one masked slot
    return hidden[:, :, :n], mask[:, :n]


@torch.no_grad()
def sample(model: torch.nn.Module, text: tuple[Tensor, Tensor], noise: Tensor, *, z_s: Tensor | None = None,
           m: int | Tensor = 0, uncond_text: tuple[Tensor, Tensor] | None = None, cfg_scale: float = 4.5,
           steps: int = 100, solver: str = "euler", cfg_formula: str = CFG_FORMULAS[0],
           prefix: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """Generate latents (B, T, C) from ``noise`` (B, T, C), one item at a time (module docstring).

    text: (hidden (B, n_layers, S, H), mask (B, S)) of the prompts; uncond_text: the empty prompt's
    features ((1 or B), n_layers, S0, H) or None for no guidance. prefix: (z_ref (B, T, C), keep (B, T))
    frames held on their known path (zero-shot TTS)."""
    if cfg_formula not in CFG_FORMULAS:
        raise ValueError(f"unknown cfg_formula {cfg_formula!r}; supported: {CFG_FORMULAS}")
    hidden, mask = text
    B = noise.shape[0]
    m = torch.as_tensor(m)
    out = []
    for i in range(B):
        row = slice(i, i + 1)
        uncond = None
        if uncond_text is not None:
            uncond = tuple(x[row] if x.shape[0] == B else x for x in uncond_text)
        out.append(sample_one(
            model, own_tokens(hidden[row], mask[row]), noise[row], z_s=None if z_s is None else z_s[row],
            m=m if m.dim() == 0 else m[row], uncond_text=uncond, cfg_scale=cfg_scale, steps=steps, solver=solver,
            prefix=None if prefix is None else (prefix[0][row], prefix[1][row])))
    return torch.cat(out)


def sample_one(model: torch.nn.Module, text: tuple[Tensor, Tensor], noise: Tensor, *, z_s: Tensor | None,
               m: Tensor, uncond_text: tuple[Tensor, Tensor] | None, cfg_scale: float, steps: int, solver: str,
               prefix: tuple[Tensor, Tensor] | None) -> Tensor:
    """One item (batch 1): its cond and uncond branches are the forward's batch of 2. A guidance
    scale of 1 is the conditional velocity alone (CFG not applied: one branch, half the work)."""
    hidden, mask = text
    if cfg_scale == 1.0:
        uncond_text = None
    if uncond_text is not None:
        hidden, mask = concat_text((hidden, mask), own_tokens(*uncond_text))  # (2, n_layers, S, H)
    dtype = next(model.parameters()).dtype
    cond = model.prepare_text(hidden.to(dtype), mask)  # once per call: independent of t
    velocity = GuidedVelocity(model, cond, z_s, m, cfg_scale if uncond_text is not None else None)
    after = PrefixClamp(prefix[0], prefix[1], noise) if prefix is not None else None
    z = noise.clone()
    if after is not None:
        z = after(z, 1.0)
    return integrate(velocity, z, steps, solver, after)
