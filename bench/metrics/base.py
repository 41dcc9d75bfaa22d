"""Interface of a metric variant and its result."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.item import Item


@dataclass
class MetricResult:
    """value: the aggregate; per_item: per-item scores (None for set-level metrics such as FD);
    extra: e.g. edit-op counts for corpus WER. ``unavailable`` holds a reason instead of a value."""

    value: float | None
    n: int
    per_item: list[float | None] | None = None
    ci95: tuple[float, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    unavailable: str | None = None


class Metric(ABC):
    """``name`` (e.g. "fd"), ``variant`` (e.g. "yamnet-16k"), ``version`` (bumped whenever the
    recipe changes a number), ``higher_is_better``. Extractors are requested by role:
    ``needs`` maps a role ("gen", "ref", "text") to extractor names."""

    name: str = "metric"
    variant: str = "default"
    version: str = "1"
    higher_is_better: bool = False
    paper_protocol: bool = False  # True only for the variant the paper used
    needs: dict[str, str] = {}

    @property
    def key(self) -> str:
        return f"{self.name}@{self.variant}"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "variant": self.variant, "version": self.version,
                "higher_is_better": self.higher_is_better, "paper_protocol": self.paper_protocol}

    def wants(self, item: Item, role: str) -> bool:
        """Whether ``score`` reads this item's ``role`` features; the runner extracts only those (a
        metric that marks an item not applicable need not pay for its features: WER of a sound effect
        is not transcribed). Default: every item."""
        return True

    @abstractmethod
    def score(self, items: list[Item], feats: dict[str, list[dict[str, Any] | None]]) -> MetricResult:
        """feats[role][i]: features of item i's audio in that role (None where it failed or is
        absent). Per-item metrics return per_item aligned with items (None = failed item)."""


def finite(x: np.ndarray, what: str) -> np.ndarray:
    """Fail loudly on NaN/inf instead of returning a sentinel."""
    if not np.all(np.isfinite(x)):
        raise FloatingPointError(f"{what}: non-finite values")
    return x
