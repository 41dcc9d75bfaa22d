"""The small interface between the runner and anything that generates audio."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.item import Item


@dataclass
class Generated:
    """One system output: mono float32 waveform in [-1, 1] and its sample rate."""

    wave: np.ndarray  # (samples,)
    sample_rate: int
    info: dict[str, Any] = field(default_factory=dict)  # per-item notes (e.g. what was retrieved, why a
    # baseline left the source unchanged); stored in the item's generation sidecar


class System(ABC):
    """A named generator. ``signature`` records everything that moves its outputs (config,
    checkpoint checksum, sampler settings) and goes into results and the generation cache key."""

    name: str = "system"
    tasks: tuple[str, ...] = ()  # tasks it can do; empty = all
    batch_size: int = 1  # items handed to one ``generate`` call

    def supports(self, task: str) -> bool:
        return not self.tasks or task in self.tasks

    @abstractmethod
    def signature(self) -> dict[str, Any]: ...

    @abstractmethod
    def generate(self, items: list[Item], root: Path) -> Iterable[Generated]:
        """One output per item, in order; yield each as soon as it is ready (the runner writes it
        at once, so a kill loses only the item in flight). ``root`` is the test-set root for
        resolving items' relative audio paths. Raise on a failure; the runner records it per item."""
