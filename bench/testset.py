"""Test sets: a suite's builder writes items and audio into a content-hashed directory.

Layout of a built test set::

    <testsets>/<suite>/<scale>-<hash[:16]>/
        manifest.jsonl    one canonical-JSON Item per line, sorted by id
        audio/...         PCM_16 WAV files (quantised here, so the bytes are the same everywhere)
        testset.json      suite, version, scale, params, seed, hash, n_items
    <testsets>/<suite>/index/<build_key>.json   spec hash -> built directory (skip rebuilding)

The test-set hash is sha256 over the canonical manifest bytes and, for each audio file in sorted
order, its relative path and sha256. Same spec + seed => byte-identical directory on any machine.

Manifest audio paths are relative POSIX paths without '..', and must resolve (symlinks followed)
inside the test-set folder or a data root allowed with UNISON_DATA_ROOT (unison.core.paths).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import numpy as np
import soundfile as sf

from bench.item import Item
from bench.registry import import_target
from bench.spec import SuiteSpec, canonical_json
from unison.core.files import atomic_write_bytes, atomic_write_text, publish_dir, sha256_file
from unison.core.paths import PathEscapeError, confine, data_roots
from unison.core.seeds import item_seed

log = logging.getLogger(__name__)

AUDIO_DIR = "audio"
MANIFEST = "manifest.jsonl"
INFO = "testset.json"
AUDIO_FIELDS = ("target", "source", "reference")


class ManifestError(ValueError):
    """A manifest row or a path in it is invalid (escapes the root, missing file, bad JSON...)."""


def safe_relpath(rel: str, what: str) -> str:
    """Check that ``rel`` is a relative POSIX path that stays inside its root; return it normalised."""
    if not isinstance(rel, str) or not rel:
        raise ManifestError(f"{what}: path must be a non-empty string, got {rel!r}")
    if "\\" in rel or rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise ManifestError(f"{what}: path {rel!r} is absolute or not POSIX; paths must be relative "
                            "to the test-set root, e.g. 'audio/x.wav'")
    parts = PurePosixPath(rel).parts
    if any(p == ".." for p in parts):
        raise ManifestError(f"{what}: path {rel!r} contains '..'; paths must stay inside the test-set root")
    if any(p in ("", ".") for p in rel.split("/")):
        raise ManifestError(f"{what}: path {rel!r} has empty or '.' components")
    return rel


def confined(root: Path, rel: str, what: str) -> Path:
    """``root / rel`` for a safe relative path that resolves (symlinks followed) inside ``root`` or
    an allowed data root ($UNISON_DATA_ROOT); a ManifestError naming ``what`` otherwise."""
    safe_relpath(rel, what)
    try:
        return confine(rel, root, data_roots(), what, option=False)
    except PathEscapeError as e:
        raise ManifestError(str(e)) from e


def pcm16_bytes(wave: np.ndarray, sr: int) -> bytes:
    """Deterministic PCM_16 WAV bytes: we quantise (round half to even, clip) instead of libsndfile."""
    import io

    q = np.clip(np.round(np.asarray(wave, dtype=np.float64) * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    sf.write(buf, q, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


class TestSetWriter:
    """What a builder writes into. ``add_audio`` returns the path to put in an Item field."""

    __test__ = False  # not a pytest class

    def __init__(self, root: Path, suite: str, base_seed: int):
        self.root = Path(root)
        self.suite = suite
        self.base_seed = base_seed
        self._items: dict[str, Item] = {}
        self._audio: set[str] = set()

    def item_seed(self, item_id: str) -> int:
        return item_seed(self.suite, item_id, self.base_seed)

    def rng(self, item_id: str) -> np.random.Generator:
        """A generator seeded by the item's seed (builders draw per-item randomness from it)."""
        return np.random.default_rng(self.item_seed(item_id))

    def add_audio(self, name: str, wave: np.ndarray, sr: int) -> str:
        rel_name = safe_relpath(name if name.endswith(".wav") else name + ".wav", f"add_audio({name!r})")
        rel = f"{AUDIO_DIR}/{rel_name}"
        if rel in self._audio:
            raise ManifestError(f"add_audio: {rel!r} was already written; audio names must be unique")
        wave = np.asarray(wave)
        if wave.ndim != 1 or wave.size == 0:
            raise ValueError(f"add_audio({name!r}): wave must be mono (samples,) and non-empty, got shape {wave.shape}")
        if not np.all(np.isfinite(wave)):
            raise ValueError(f"add_audio({name!r}): wave has NaN/inf samples")
        if not isinstance(sr, (int, np.integer)) or sr <= 0:
            raise ValueError(f"add_audio({name!r}): sample rate must be a positive integer, got {sr!r}")
        atomic_write_bytes(self.root / rel, pcm16_bytes(wave, int(sr)))
        self._audio.add(rel)
        return rel

    def add_item(self, item: Item) -> None:
        if not isinstance(item, Item):
            raise TypeError(f"add_item expects a bench.item.Item, got {type(item).__name__}")
        safe_relpath(item.id, f"item id {item.id!r}")  # ids become file names of generated audio
        if "/" in item.id:
            raise ManifestError(f"item id {item.id!r} must not contain '/'")
        if item.id in self._items:
            raise ManifestError(f"item id {item.id!r} added twice; ids must be unique")
        for f in AUDIO_FIELDS:
            rel = getattr(item, f)
            if rel is not None:
                safe_relpath(rel, f"item {item.id!r} field {f!r}")
                if rel not in self._audio:
                    raise ManifestError(f"item {item.id!r} field {f!r} = {rel!r} was not written with add_audio")
        self._items[item.id] = item

    def finish(self) -> tuple[bytes, str]:
        """Write the manifest; return (manifest bytes, test-set hash)."""
        if not self._items:
            raise ManifestError(f"suite {self.suite!r}: the builder added no items")
        lines = [canonical_json(self._items[k].to_json()) for k in sorted(self._items)]
        manifest = ("\n".join(lines) + "\n").encode("utf-8")
        atomic_write_bytes(self.root / MANIFEST, manifest)
        return manifest, testset_hash(self.root, manifest)


def testset_hash(root: Path, manifest: bytes) -> str:
    h = hashlib.sha256()
    h.update(b"manifest\0")
    h.update(hashlib.sha256(manifest).digest())
    audio_root = root / AUDIO_DIR
    files = sorted(p.relative_to(root).as_posix() for p in audio_root.rglob("*") if p.is_file()) \
        if audio_root.is_dir() else []
    for rel in files:
        h.update(f"audio\0{rel}\0{sha256_file(root / rel)}\n".encode())
    return h.hexdigest()


@dataclass
class TestSet:
    __test__ = False

    root: Path
    hash: str
    items: list[Item]
    info: dict[str, Any]

    def path(self, rel: str) -> Path:
        """Absolute path of a manifest path, refusing anything that leaves the root."""
        return confined(self.root, rel, f"test set {self.root}").resolve()

    @classmethod
    def load(cls, root: str | Path, verify: bool = False) -> "TestSet":
        root = Path(root)
        mpath = root / MANIFEST
        if not mpath.is_file():
            raise ManifestError(f"{root}: no {MANIFEST}; build the test set with `unison-bench build`")
        manifest = mpath.read_bytes()
        items = []
        for n, line in enumerate(manifest.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                item = Item.from_json(row)
            except (json.JSONDecodeError, TypeError, ValueError) as e:
                raise ManifestError(f"{mpath}:{n}: bad manifest row ({e})") from e
            for f in AUDIO_FIELDS:
                rel = getattr(item, f)
                if rel is not None:
                    confined(root, rel, f"{mpath} line {n} item {item.id!r} field {f!r}")
                    if not (root / rel).is_file():
                        raise ManifestError(f"{mpath}:{n}: item {item.id!r} field {f!r}: {rel} is missing")
            items.append(item)
        info = json.loads((root / INFO).read_text()) if (root / INFO).is_file() else {}
        digest = info.get("hash")
        if verify or digest is None:
            got = testset_hash(root, manifest)
            if digest is not None and got != digest:
                raise ManifestError(f"{root}: content hash {got[:16]} differs from the recorded {digest[:16]}; "
                                    "the test set was modified - rebuild it")
            digest = got
        return cls(root=root, hash=digest, items=items, info=info)


def default_testsets_dir() -> Path:
    return Path(os.environ.get("UNISON_BENCH_TESTSETS", Path.home() / ".cache" / "unison-bench" / "testsets"))


def build_testset(spec: SuiteSpec, scale: str = "mini", testsets_dir: str | Path | None = None,
                  rebuild: bool = False) -> TestSet:
    """Build (or reuse) the suite's test set at ``scale``; returns the loaded TestSet."""
    base = Path(testsets_dir) if testsets_dir is not None else default_testsets_dir()
    suite_dir = base / spec.name
    key = spec.build_key(scale)
    index = suite_dir / "index" / f"{key}.json"
    if index.is_file() and not rebuild:
        target = suite_dir / json.loads(index.read_text())["dir"]
        if (target / MANIFEST).is_file() and (target / INFO).is_file():
            return TestSet.load(target)
    params = spec.params(scale)
    builder: Callable[[dict, TestSetWriter], None] = import_target(spec.builder, f"suite {spec.name!r} builder")
    suite_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=suite_dir, prefix=".build-"))
    try:
        writer = TestSetWriter(tmp, spec.name, spec.seed)
        log.info("building test set %s (%s)", spec.name, scale)
        builder(dict(params), writer)
        _, digest = writer.finish()
        info = {"suite": spec.name, "version": spec.version, "scale": scale, "builder": spec.builder,
                "params": params, "seed": spec.seed, "hash": digest, "n_items": len(writer._items)}
        atomic_write_text(tmp / INFO, canonical_json(info) + "\n")
        # identical content may already be there (built by another process): keep it
        final = publish_dir(tmp, suite_dir / f"{scale}-{digest[:16]}", done=lambda d: (d / MANIFEST).is_file())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(index, canonical_json({"dir": final.name, "hash": digest}) + "\n")
    return TestSet.load(final)
