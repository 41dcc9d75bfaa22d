"""Features: extractors resolved lazily, their outputs served per (extractor, audio role) through the
content-addressed feature cache. A clip an extractor cannot take leaves only its item unscored."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from bench import registry
from bench.cache import AudioHashes, Clip, ExtractorFeatureCache, entry_key, signature_hash
from bench.extractors.base import Extractor
from bench.item import Item
from bench.progress import Progress
from bench.run.errors import Unavailable, one_line
from bench.run.generate import GenerationStore
from bench.run.validate import ItemStatus
from bench.testset import TestSet
from unison.core.weights import MissingWeightsError

log = logging.getLogger(__name__)

ROLES = ("gen", "target", "source", "reference")  # where a metric's audio comes from
Wanted = Callable[[Item], bool]  # which items' features a metric reads (bench.metrics.base.Metric.wants)


def role_path(role: str, item: Item, status: ItemStatus, testset: TestSet, store: GenerationStore) -> Path | None:
    if role == "gen":
        return store.wav(item.id) if status.status == "ok" else None
    rel = getattr(item, role)  # one of the Item fields named in ROLES
    return testset.path(rel) if rel is not None else None


class FeatureStage:
    """Resolves extractors lazily and serves features per (extractor, role), via the cache."""

    def __init__(self, cache: ExtractorFeatureCache, items: list[Item], statuses: dict[str, ItemStatus],
                 testset: TestSet, store: GenerationStore, progress: bool | Progress, label: str = ""):
        self.cache, self.items, self.statuses = cache, items, statuses
        self.testset, self.store, self.progress = testset, store, progress
        self.label = label  # "<suite> · <system>": names the extraction bars
        self.hashes = AudioHashes()
        self._feats: dict[tuple[str, str], list[dict[str, Any] | None]] = {}
        self._keys: dict[tuple[str, str], list[str | None]] = {}  # feature-cache key per item (None: no features)
        self._done: dict[tuple[str, str], set[int]] = {}  # items whose features were asked for (extracted or not)
        self._errors: dict[str, str] = {}
        self.extractors: dict[str, Extractor] = {}  # the ones used, in first-use order

    def extractor(self, name: str) -> Extractor:
        if name in self._errors:
            raise Unavailable(self._errors[name])
        if name not in self.extractors:
            try:
                ext = registry.EXTRACTORS.get(name)
                reason = ext.available()
            except MissingWeightsError as e:
                reason = one_line(e)
            if reason is not None:
                reason = reason.removeprefix("unavailable:").strip()  # the cell adds that word itself
                self._errors[name] = f"extractor {name}: {reason}"
                raise Unavailable(self._errors[name])
            self.extractors[name] = ext
        return self.extractors[name]

    def used(self) -> dict[str, dict[str, Any]]:
        """What results.json records of each extractor used: its signature, the hash that keys its
        cache entries, its input sample rate."""
        return {name: {"signature": ext.signature(), "signature_hash": signature_hash(ext),
                       "sample_rate": ext.sample_rate} for name, ext in self.extractors.items()}

    def features(self, ext_name: str, role: str, wanted: Wanted | None = None) -> list[dict[str, Any] | None]:
        """Features of the ``role`` audio of every item ``wanted`` accepts (default: all); None where an
        item has no such audio, its extraction failed or it is not wanted. Each (extractor, role, item)
        is extracted at most once per run, whichever metrics ask."""
        if role not in ROLES:
            raise Unavailable(f"metric asks for unknown audio role {role!r}; roles are {list(ROLES)}")
        ext = self.extractor(ext_name)  # a missing extractor makes the cell unavailable even if no item is wanted
        k = (ext_name, role)
        n = len(self.items)
        out = self._feats.setdefault(k, [None] * n)
        keys = self._keys.setdefault(k, [None] * n)
        done = self._done.setdefault(k, set())
        todo = [i for i in range(n) if i not in done and (wanted is None or wanted(self.items[i]))]
        idx, clips = [], []
        for i in todo:
            it = self.items[i]
            p = role_path(role, it, self.statuses[it.id], self.testset, self.store)
            if p is None:
                continue
            idx.append(i)
            clips.append(Clip(path=p, audio_sha=self.hashes(p), side=ext.side_input(it, role)))
        if clips:
            got = self._extract(ext, ext_name, role, idx, clips)
            sig = signature_hash(ext)
            for i, clip, f in zip(idx, clips, got):
                out[i] = f
                keys[i] = entry_key(clip.audio_sha, sig, clip.side) if f is not None else None
        done.update(todo)
        return self._mask(out, wanted)

    def feature_keys(self, ext_name: str, role: str, wanted: Wanted | None = None) -> list[str | None]:
        """The feature-cache key of each item's ``role`` features as ``features`` served them (None
        where it served none): what a cached cell's key is made of (bench.run.cells)."""
        return self._mask(self._keys[(ext_name, role)], wanted)

    def _mask(self, values: list, wanted: Wanted | None) -> list:
        return list(values) if wanted is None else [v if wanted(it) else None for v, it in zip(values, self.items)]

    def _extract(self, ext: Extractor, ext_name: str, role: str, idx: list[int], clips: list[Clip]
                 ) -> list[dict[str, Any] | None]:
        try:
            where = f"{self.label} · " if self.label else ""
            return self.cache.extract(ext, clips, progress=self.progress, desc=f"extract {where}{ext_name} ({role})")
        except MissingWeightsError as e:
            self._errors[ext_name] = f"extractor {ext_name}: {one_line(e)}"
            raise Unavailable(self._errors[ext_name]) from e
        except Exception as e:  # noqa: BLE001 - isolate the clip(s) the extractor cannot take
            log.warning("extractor %s failed on a batch (%s); retrying clip by clip", ext_name, one_line(e))
            got = [self._extract_one(ext, ext_name, role, self.items[i], clip) for i, clip in zip(idx, clips)]
            if all(g is None for g in got):
                raise Unavailable(f"extractor {ext_name} failed on every clip: {one_line(e)}") from e
            return got

    def _extract_one(self, ext: Extractor, ext_name: str, role: str, item: Item, clip: Clip
                     ) -> dict[str, Any] | None:
        """One clip on its own; a failure leaves that item's features empty (the metric counts it
        in n_failed) and is logged with the item, never sinking the other clips."""
        try:
            return self.cache.extract(ext, [clip], progress=False)[0]
        except MissingWeightsError:
            raise
        except Exception as e:  # noqa: BLE001
            log.error("extractor %s failed on item %s (%s audio): %s", ext_name, item.id, role, one_line(e))
            return None
