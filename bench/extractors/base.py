"""Interface of a feature extractor (embedding model, classifier, ASR, speaker encoder...)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from bench.item import Item


def cpu_threads() -> int:
    """The threads an extractor's own runtime (CTranslate2, ONNX Runtime) may use: torch's setting
    for this process, which ``unison-bench default --jobs`` lowers in each worker so that workers
    do not contend for the same cores. Outputs do not depend on it (checked for Whisper and DNSMOS
    by tests/bench/extractors/test_threads.py)."""
    import torch

    return max(1, torch.get_num_threads())


class Extractor(ABC):
    """Turns waveforms (already resampled to ``sample_rate``, mono float32) into features.

    ``signature()`` must contain every setting that changes the output (model id, weights
    checksum, sample rate, resampler, crop/pad rule, decoding options); the cache key is
    hash(audio bytes) + hash(signature), so changing one setting invalidates only this
    extractor's entries. Features are a dict of numpy arrays / JSON-able values per clip.
    """

    name: str = "extractor"
    sample_rate: int = 16000
    batch_size: int = 8

    @abstractmethod
    def signature(self) -> dict[str, Any]: ...

    def side_input(self, item: Item, role: str) -> str | None:
        """Per-clip side input the output depends on (the ASR language, the CLAP caption...).
        It is part of the cache key. ``role`` is which audio of the item is being extracted."""
        return None

    @abstractmethod
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        """One feature dict per input wave (batched; len(sides) == len(waves))."""

    def available(self) -> str | None:
        """None if usable here, else the reason it is unavailable (e.g. missing weights)."""
        return None
