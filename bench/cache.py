"""Content-addressed feature cache: never keyed by a path.

key = sha256(audio file bytes) + sha256(canonical json(extractor name, signature, sample rate,
resampler, mono rule)) + sha256(side input). One small ``.npz`` file per entry (arrays as arrays,
everything else as one JSON string), sharded by the key's first two hex digits, written
atomically. Changing one extractor setting changes its signature hash and so invalidates only
that extractor's entries.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import soxr

from bench.extractors.base import Extractor
from bench.progress import Progress
from bench.spec import canonical_json
from unison.core.audio import READ_RULE, read_mono
from unison.core.files import atomic_write_bytes, atomic_write_text, sha256_file

log = logging.getLogger(__name__)

_JSON_KEY = "__json__"


def resampler_info(target_sr: int) -> dict[str, Any]:
    """Everything about how audio reaches an extractor (unison.core.audio.read_mono); part of the cache key."""
    return {"sample_rate": int(target_sr), **READ_RULE, "soxr": soxr.__version__}


def signature_hash(extractor: Extractor) -> str:
    blob = {"extractor": extractor.name, "signature": extractor.signature(),
            "input": resampler_info(extractor.sample_rate)}
    return hashlib.sha256(canonical_json(blob).encode()).hexdigest()


def entry_key(audio_sha: str, sig_hash: str, side: str | None) -> str:
    side_sha = hashlib.sha256(b"\0none" if side is None else side.encode("utf-8")).hexdigest()
    return hashlib.sha256(f"{audio_sha}|{sig_hash}|{side_sha}".encode()).hexdigest()


def _to_jsonable(v: Any, where: str) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dict):
        return {str(k): _to_jsonable(x, where) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_to_jsonable(x, where) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"{where}: feature value of type {type(v).__name__} cannot be cached "
                    "(use numpy arrays or JSON values)")


def encode_features(feats: dict[str, Any], where: str) -> bytes:
    if not isinstance(feats, dict):
        raise TypeError(f"{where}: extract() must return one dict per clip, got {type(feats).__name__}")
    arrays: dict[str, np.ndarray] = {}
    plain: dict[str, Any] = {}
    for k, v in feats.items():
        if k == _JSON_KEY:
            raise ValueError(f"{where}: feature name {_JSON_KEY!r} is reserved")
        if isinstance(v, np.ndarray):
            if v.dtype == object:
                raise TypeError(f"{where}: feature {k!r} is an object array; cache numeric arrays only")
            arrays[k] = v
        else:
            plain[k] = _to_jsonable(v, f"{where} feature {k!r}")
    buf = io.BytesIO()
    np.savez(buf, **arrays, **{_JSON_KEY: np.frombuffer(json.dumps(plain).encode(), dtype=np.uint8)})
    return buf.getvalue()


def decode_features(data: bytes) -> dict[str, Any]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        out: dict[str, Any] = json.loads(z[_JSON_KEY].tobytes().decode()) if _JSON_KEY in z.files else {}
        for k in z.files:
            if k != _JSON_KEY:
                out[k] = z[k]
    return out


@dataclass(frozen=True)
class Clip:
    """One audio file to extract, with its content hash and side input."""

    path: Path
    audio_sha: str
    side: str | None = None


@dataclass
class ExtractStats:
    hits: int = 0
    misses: int = 0
    seconds: float = 0.0  # wall time spent loading + extracting misses

    def clips_per_second(self) -> float | None:
        return self.misses / self.seconds if self.misses and self.seconds > 0 else None


@dataclass
class ExtractorFeatureCache:
    """Features that extractors computed from audio files, one entry per (file bytes, extractor
    signature, side input); see the module docstring for the key."""

    root: Path
    stats: dict[str, ExtractStats] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict[str, Any] | None:
        p = self._path(key)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return decode_features(data)
        except (ValueError, OSError, KeyError) as e:  # a torn or foreign file: recompute it
            log.warning("feature cache entry %s is unreadable (%s); recomputing", p, e)
            return None

    def put(self, key: str, feats: dict[str, Any], where: str = "extractor") -> None:
        atomic_write_bytes(self._path(key), encode_features(feats, where))

    def _record_signature(self, extractor: Extractor, sig_hash: str) -> None:
        p = self.root / "signatures" / f"{sig_hash}.json"
        if not p.exists():
            blob = {"extractor": extractor.name, "signature": extractor.signature(),
                    "input": resampler_info(extractor.sample_rate)}
            atomic_write_text(p, json.dumps(blob, indent=1, sort_keys=True) + "\n")

    def extract(self, extractor: Extractor, clips: Iterable[Clip], progress: bool | Progress = True,
                desc: str | None = None) -> list[dict[str, Any]]:
        """Features for every clip: cached entries are read, misses extracted in batches and
        each batch stored as soon as it is computed (a killed run loses at most one batch).
        The bar (``desc``, default "extract <extractor>") counts cached clips as done."""
        clips = list(clips)
        sig = signature_hash(extractor)
        self._record_signature(extractor, sig)
        keys = [entry_key(c.audio_sha, sig, c.side) for c in clips]
        stats = self.stats.setdefault(extractor.name, ExtractStats())
        found: dict[str, dict[str, Any]] = {}
        misses: dict[str, Clip] = {}
        for key, clip in zip(keys, clips):
            if key in found or key in misses:
                continue
            got = self.get(key)
            if got is None:
                misses[key] = clip
            else:
                found[key] = got
        stats.hits += len(found)
        if misses:
            todo = list(misses.items())
            bs = max(1, int(extractor.batch_size))
            # transient: it runs under the scoring bar, which stays
            bar = Progress.of(progress).bar(desc or f"extract {extractor.name}", len(found) + len(todo),
                                            done=len(found), unit="clip", leave=False)
            t0 = time.perf_counter()
            for start in range(0, len(todo), bs):
                batch = todo[start:start + bs]
                waves = [read_mono(c.path, extractor.sample_rate)[0] for _, c in batch]
                out = extractor.extract(waves, [c.side for _, c in batch])
                if len(out) != len(batch):
                    raise ValueError(f"extractor {extractor.name!r} returned {len(out)} results for "
                                     f"{len(batch)} clips")
                for (key, _), feats in zip(batch, out):
                    self.put(key, feats, f"extractor {extractor.name!r}")
                    found[key] = feats
                bar.update(len(batch))
            bar.close()
            stats.seconds += time.perf_counter() - t0
            stats.misses += len(todo)
        return [found[k] for k in keys]


class AudioHashes:
    """sha256 of audio files, memoised per (path, size, mtime) for the life of a run."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: Path) -> str:
        st = os.stat(path)
        k = (str(path), st.st_size, st.st_mtime_ns)
        if k not in self._memo:
            self._memo[k] = sha256_file(path)
        return self._memo[k]
