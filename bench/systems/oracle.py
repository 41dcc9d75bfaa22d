"""The reference oracle: returns each item's ground-truth (or pseudo-GT) target audio.

Scoring it gives the ceiling of a suite (e.g. "GT CLAP"), and it checks the pipeline end to end:
an oracle run of a metric that compares gen with target must come out at its best value.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.item import Item
from bench.systems.base import Generated, System
from unison.core.audio import read_mono


class OracleSystem(System):
    name = "oracle"
    batch_size = 16

    def signature(self) -> dict[str, Any]:
        return {"system": "oracle", "version": "1", "returns": "item.target as stored (PCM_16 -> float32)"}

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        out = []
        for item in items:
            if item.target is None:
                raise ValueError(f"item {item.id!r} has no target audio; the oracle can only return ground truth")
            wave, sr = read_mono(Path(root) / item.target)
            out.append(Generated(wave=wave, sample_rate=sr))
        return out
