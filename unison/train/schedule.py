"""Learning-rate schedule (docs/design.md §6): linear warm-up to the base lr, then cosine decay to
``min_ratio * lr`` at ``total_steps``. Expressed as a multiplier of the base lr for LambdaLR."""
from __future__ import annotations

import math

import torch


class WarmupCosine:
    """Picklable multiplier (a plain class, not a lambda) so the scheduler state is saveable.

    multiplier(s) for the s-th optimizer step (s = 0 is the first step):
      s < warmup:           (s + 1) / warmup
      warmup <= s < total:  min_ratio + (1 - min_ratio) * 0.5 * (1 + cos(pi * (s - warmup) / (total - warmup)))
      s >= total:           min_ratio
    """

    def __init__(self, warmup_steps: int, total_steps: int, min_ratio: float = 0.0):
        if warmup_steps < 0 or total_steps < 1 or warmup_steps > total_steps:
            raise ValueError(f"need 0 <= train.warmup_steps <= train.total_steps, got warmup={warmup_steps}, "
                             f"total={total_steps}")
        self.warmup, self.total, self.min_ratio = int(warmup_steps), int(total_steps), float(min_ratio)

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        if step >= self.total:
            return self.min_ratio
        progress = (step - self.warmup) / max(1, self.total - self.warmup)
        return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def build_scheduler(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int,
                    min_ratio: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupCosine(warmup_steps, total_steps, min_ratio))
