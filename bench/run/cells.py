"""Scored cells, cached by everything that decides them.

A metric's cell is a function of its items, the features of their audio and its own code: a
rerun (a warm ``unison-bench default``, a rescore after adding a system) reads a cell back instead
of recomputing it, since PESQ, MCD and the Fréchet variants cost seconds per cell while reading one
costs a millisecond. The key hashes

- the metric: its key, description (name, variant, version) and settings, and the sha256 of the
  source of every module its class is built from (an edit to a metric's code is a new key, with
  or without a version bump);
- the installed packages (name and version of every distribution): the reference packages (pesq,
  pystoi, pymcd, sed_eval, numpy, ...) compute the numbers;
- the items of the cell (every field, meta included), each item's generation status, and per
  needed role the feature-cache key of each item's features (bench.cache.entry_key: the audio
  bytes, the extractor's signature and the side input), or "none" where an item has none.

Only measured cells are stored; an unavailable cell is recomputed (its reason may be transient).
The entries live inside the feature cache folder they derive from (``<features>/cells/``), so
clearing that folder clears both; writes are atomic.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import sys
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.item import Item
from bench.metrics.base import Metric
from bench.spec import canonical_json
from unison.core.files import atomic_write_text


@lru_cache(maxsize=1)
def installed_packages() -> str:
    """sha256 of the names of the installed distributions' metadata folders (``<name>-<version>.dist-info``,
    ``.egg-info``) on sys.path, sorted; read once per process (a folder listing, not a metadata parse)."""
    names: set[str] = set()
    for entry in sys.path:
        folder = Path(entry or ".")
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir() if p.name.endswith((".dist-info", ".egg-info")))
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


@lru_cache(maxsize=None)
def code_hash(cls: type) -> str:
    """sha256 over the source files of the modules ``cls`` and its bases are defined in."""
    h = hashlib.sha256()
    for path in sorted({f for c in cls.__mro__ if (f := _source_file(c))}):
        h.update(path.encode() + b"\0" + Path(path).read_bytes())
    return h.hexdigest()


def _source_file(cls: type) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except TypeError:  # builtins (object, ABC's C parts)
        return None


def _settings(metric: Metric) -> str:
    """The metric's own attributes; callables stand for their code, which code_hash covers."""
    plain = {k: v for k, v in vars(metric).items() if not k.startswith("_") and not callable(v)}
    return json.dumps(plain, sort_keys=True, default=lambda o: f"<{type(o).__name__}>")


class CellCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def key(self, metric: Metric, items: list[Item], statuses: list[str],
            feature_keys: dict[str, list[str | None]]) -> str:
        blob = {"metric": metric.key, "describe": metric.describe(), "settings": _settings(metric),
                "class": f"{type(metric).__module__}.{type(metric).__qualname__}", "code": code_hash(type(metric)),
                "packages": installed_packages(), "items": [asdict(it) for it in items], "statuses": statuses,
                "features": {role: [k or "none" for k in keys] for role, keys in sorted(feature_keys.items())}}
        return hashlib.sha256(canonical_json(blob).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[dict[str, Any], list[float | None] | None] | None:
        try:
            blob = json.loads(self._path(key).read_text())
            return blob["cell"], blob["per_item"]
        except (FileNotFoundError, ValueError, KeyError):  # absent, or torn by a kill: recompute
            return None

    def put(self, key: str, cell: dict[str, Any], per_item: list[float | None] | None) -> None:
        atomic_write_text(self._path(key), json.dumps({"cell": cell, "per_item": per_item}))
