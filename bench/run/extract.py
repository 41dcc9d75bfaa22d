"""Features: extractors resolved lazily, their outputs served per (extractor, audio role) through the
content-addressed feature cache. A clip an extractor cannot take leaves only its item unscored."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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

    def features(self, ext_name: str, role: str) -> list[dict[str, Any] | None]:
        """Features of every item's ``role`` audio (None where it has none or it failed)."""
        if role not in ROLES:
            raise Unavailable(f"metric asks for unknown audio role {role!r}; roles are {list(ROLES)}")
        k = (ext_name, role)
        if k in self._feats:
            return self._feats[k]
        ext = self.extractor(ext_name)
        idx, clips = [], []
        for i, it in enumerate(self.items):
            p = role_path(role, it, self.statuses[it.id], self.testset, self.store)
            if p is None:
                continue
            idx.append(i)
            clips.append(Clip(path=p, audio_sha=self.hashes(p), side=ext.side_input(it, role)))
        try:
            where = f"{self.label} · " if self.label else ""
            got = self.cache.extract(ext, clips, progress=self.progress, desc=f"extract {where}{ext_name} ({role})")
        except MissingWeightsError as e:
            self._errors[ext_name] = f"extractor {ext_name}: {one_line(e)}"
            raise Unavailable(self._errors[ext_name]) from e
        except Exception as e:  # noqa: BLE001 - isolate the clip(s) the extractor cannot take
            log.warning("extractor %s failed on a batch (%s); retrying clip by clip", ext_name, one_line(e))
            got = [self._extract_one(ext, ext_name, role, self.items[i], clip) for i, clip in zip(idx, clips)]
            if all(g is None for g in got):
                raise Unavailable(f"extractor {ext_name} failed on every clip: {one_line(e)}") from e
        out: list[dict[str, Any] | None] = [None] * len(self.items)
        keys: list[str | None] = [None] * len(self.items)
        sig = signature_hash(ext)
        for i, clip, f in zip(idx, clips, got):
            out[i] = f
            keys[i] = entry_key(clip.audio_sha, sig, clip.side) if f is not None else None
        self._feats[k], self._keys[k] = out, keys
        return out

    def feature_keys(self, ext_name: str, role: str) -> list[str | None]:
        """The feature-cache key of each item's ``role`` features (None where it has none), once
        ``features`` has served them: what a cached cell's key is made of (bench.run.cells)."""
        return self._keys[(ext_name, role)]

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
