"""Per-item seeds: the rule that makes an item's randomness independent of batch size and order.

An item's seed is a hash of (suite, item id, run seed); its starting noise comes from a generator of
its own seeded with it. Test-set builders (their per-item randomness), the baseline systems and the
model's sampler all use these two functions, so the same item draws the same numbers everywhere.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import torch

SEED_RULE = "unison.core.seeds.item_seed(suite name, item.id, run seed)"  # recorded in system signatures


def item_seed(suite: str, item_id: str, base_seed: int) -> int:
    """Stable per-item seed in [0, 2**63) from sha256 (Python's ``hash`` is salted per process)."""
    digest = hashlib.sha256(f"{suite}\x1f{item_id}\x1f{int(base_seed)}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def item_noise(seeds: Sequence[int], frames: int, channels: int,
               device: "torch.device | str" = "cpu") -> "torch.Tensor":
    """Starting noise, one generator per item so an item's noise ignores batch size and order."""
    import torch

    rows = [torch.randn(frames, channels, generator=torch.Generator().manual_seed(int(s))) for s in seeds]
    return torch.stack(rows).to(device)  # (B, T, C) float32
