"""The reference oracle: returns each item's ground-truth (or pseudo-GT) target audio.

Scoring it gives the ceiling of a suite (e.g. "GT CLAP"), and it checks the pipeline end to end:
an oracle run of a metric that compares gen with target must come out at its best value.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench.item import Item
from bench.systems.base import Generated, System


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
            wave, sr = sf.read(str(Path(root) / item.target), dtype="float32", always_2d=True)
            out.append(Generated(wave=np.ascontiguousarray(wave.mean(axis=1)), sample_rate=int(sr)))
        return out
