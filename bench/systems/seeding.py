"""Run settings a seeded system receives from the runner (``configure``) and its per-item seeds.

Per-item seed = unison.core.seeds.item_seed(suite, item.id, run seed): an item's output depends
neither on the batch it lands in nor on the order of items."""
from __future__ import annotations

from typing import Any

from bench.item import Item
from unison.core.seeds import item_seed


class SeededRun:
    """Mixin: ``configure(generation=, seed=, suite=)`` is called by the runner (bench.run) before generating."""

    suite: str = ""
    base_seed: int = 0
    generation: Any = None  # bench.spec.GenerationSettings

    def configure(self, generation: Any = None, seed: int = 0, suite: str = "", **_: Any) -> None:
        self.generation, self.base_seed, self.suite = generation, int(seed), str(suite)

    def seed_for(self, item: Item) -> int:
        return item_seed(self.suite, item.id, self.base_seed)

    def suite_setting(self, name: str) -> Any:
        """steps / cfg from the suite's ``generation`` block (None when absent or not configured)."""
        return getattr(self.generation, name, None) if self.generation is not None else None
