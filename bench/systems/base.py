"""The small interface between the runner and anything that generates audio.

Everything the runner asks of a system is declared here with its default, so a new system
overrides only what it has: ``signature`` and ``generate`` always; ``tasks`` or ``supports`` to
refuse tasks; ``available`` when it needs something this machine may lack; ``weights`` for the
checksums of weights its signature does not already carry; ``configure`` to see the run's
generation settings, seed and suite; ``batch_size`` for how many items one ``generate`` call takes.

A system that reads outputs made elsewhere (bench.systems.files) also uses ``prepare`` (see the run's
items and test set before any work, refuse unusable input with SystemInputError), ``item_signature``
(what moves one item's output, e.g. its file's sha256), ``provenance`` (what results.json records of
where the outputs came from) and ``label`` (the name a user gave it for tables and reports).
"""
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


class SystemInputError(ValueError):
    """What a system was given cannot be used at all (a folder without audio, a file mapping that
    matches no item): the message names the thing and the fix; the CLI exits 2, nothing is scored."""


class ItemError(Exception):
    """One item cannot be produced; the message is the whole reason ("missing: ...", "empty: ...",
    "unreadable: ..."), recorded as the item's error as it is (other exceptions are recorded as
    "generation failed: <type>: <message>")."""


def read_source(item: Item, root: Path, what: str = "input audio") -> tuple[np.ndarray, int]:
    """The item's input (``item.source``, under the test set's ``root``) as a mono wave at its own rate,
    or an ItemError when the item has none; for the systems that process an input (enhancement,
    super-resolution, pass-through)."""
    if item.source is None:
        raise ItemError(f"missing: item {item.id!r} has no {what} (item.source)")
    from unison.core.audio import read_mono

    return read_mono(Path(root) / item.source)


class System(ABC):
    """A named generator. ``signature`` records everything that moves its outputs (config,
    checkpoint checksum, sampler settings) and goes into results and the generation cache key."""

    name: str = "system"
    tasks: tuple[str, ...] = ()  # tasks it can do; empty = all
    batch_size: int = 1  # items handed to one ``generate`` call (outputs must not depend on it)
    label: str | None = None  # the name results are shown and filed under when the user gave one
    # (``--system-arg name=MyModel``); None = as the system was asked for (``--system files:DIR``)

    def available(self) -> str | None:
        """None if it can run here, else why not (missing package or weights). The runner then
        generates nothing and marks every cell "unavailable: <reason>"."""
        return None

    def supports(self, task: str) -> bool:
        return not self.tasks or task in self.tasks

    def configure(self, generation: Any = None, seed: int = 0, suite: str = "") -> None:
        """Called once before a run generates: the suite's ``generation`` block
        (bench.spec.GenerationSettings), the run seed and the suite name. One instance may serve
        several runs in turn (``unison-bench default`` shares a loaded model), each configured anew."""

    def prepare(self, items: list[Item], testset: Any) -> None:
        """Called once per run after the test set is built and before any signature or generation:
        the run's items and the bench.testset.TestSet. Raise SystemInputError for input that cannot
        be used at all (the run stops before any work); per-item problems belong in ``generate``."""

    def item_signature(self, item: Item) -> dict[str, Any]:
        """What moves this one item's output beyond ``signature()`` (e.g. the sha256 of the file it is
        read from); part of the item's generation cache key. {} (the default) adds nothing."""
        return {}

    def provenance(self) -> dict[str, Any]:
        """Where the outputs came from, recorded in results.json as ``provenance`` (e.g. the folder
        read, its content hash, files used and left over); a "notes" list of one-line strings is shown
        by ``unison-bench table`` and the report. {} (the default) records nothing."""
        return {}

    def weights(self) -> dict[str, str]:
        """{name: sha256} of weights the outputs depend on, recorded in results.json. Signature
        entries whose key mentions sha256 are recorded as well, so most systems need nothing here."""
        return {}

    @abstractmethod
    def signature(self) -> dict[str, Any]: ...

    @abstractmethod
    def generate(self, items: list[Item], root: Path) -> Iterable[Generated]:
        """One output per item, in order; yield each as soon as it is ready (the runner writes it
        at once, so a kill loses only the item in flight). ``root`` is the test-set root for
        resolving items' relative audio paths. Raise on a failure; the runner records it per item."""
