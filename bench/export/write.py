"""Plan and write an export folder (the layout is documented in bench/export/format.py's FORMAT.md)::

    <DIR>/FORMAT.md          the format note (versioned)
    <DIR>/items.jsonl        one canonical-JSON object per item, sorted by id, every field present
    <DIR>/audio/...          byte-identical copies of the items' target / source / reference files
    <DIR>/<layout>/...       the suite's outside layouts (its YAML's ``layouts``: seedtts, audiocaps)
    <DIR>/export.json        what was exported and the sha256 of every other file; written last

Deterministic: the same suite, scale and limit give the same bytes (no dates, no machine paths).
A fresh export is written into a hidden folder beside DIR and renamed into place, so DIR appears
whole. A non-empty DIR is written into only when its export.json says it is an export of the same
test set; then each file is replaced atomically, files the previous export listed and this one does
not are removed, and nothing else in DIR (e.g. a folder of outputs) is touched.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.export.format import FORMAT_NAME, FORMAT_VERSION, ITEM_FIELDS, format_note
from bench.item import Item
from bench.layouts import get_layout
from bench.spec import SuiteSpec, canonical_json
from bench.testset import AUDIO_FIELDS, TestSet, build_testset
from unison.core.files import sha256_bytes
from unison.core.files import atomic_write_bytes

INFO = "export.json"


class ExportError(ValueError):
    """The destination cannot take this export; the message names the folder and the fix."""


@dataclass
class ExportReport:
    dest: Path
    n_items: int
    n_files: int
    testset_hash: str
    rewritten: bool  # a previous export of the same test set was updated in place


def item_row(item: Item) -> str:
    d = item.to_json()
    row: dict[str, Any] = {k: d.get(k) for k in ITEM_FIELDS}
    row["segments"] = list(item.segments)
    row["meta"] = dict(item.meta)
    return canonical_json(row)


def plan(spec: SuiteSpec, scale: str, testset: TestSet, items: list[Item], limit: int | None) -> dict[str, bytes]:
    """Relative path -> bytes of every file of the export except export.json."""
    files: dict[str, bytes] = {"items.jsonl": "".join(item_row(it) + "\n" for it in sorted(items, key=lambda i: i.id))
                               .encode("utf-8")}
    for it in items:
        for role in AUDIO_FIELDS:
            rel = getattr(it, role)
            if rel is not None and rel not in files:
                files[rel] = testset.path(rel).read_bytes()
    for name in spec.layouts:
        for rel, data in get_layout(name).export(items, testset).items():
            files[f"{name}/{rel}"] = data
    tasks = sorted({it.task for it in items})
    files["FORMAT.md"] = format_note(spec.name, spec.version, scale, testset.hash, len(items), limit, tasks,
                                     spec.layouts).encode("utf-8")
    return dict(sorted(files.items()))


def info_document(spec: SuiteSpec, scale: str, testset: TestSet, items: list[Item], limit: int | None,
                  files: dict[str, bytes]) -> bytes:
    info = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "suite": spec.name, "suite_version": spec.version,
            "scale": scale, "testset_hash": testset.hash, "n_items": len(items), "n_items_total": len(testset.items),
            "limit": limit, "layouts": list(spec.layouts), "files": {rel: sha256_bytes(b) for rel, b in files.items()}}
    return (json.dumps(info, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _fix(dest: Path) -> str:
    return f"export into a new or empty folder (-o NEW_DIR), or delete {dest} first"


def previous_export(dest: Path) -> dict[str, Any] | None:
    """None when ``dest`` is absent or empty; its export.json when it holds a previous export;
    ExportError for a file or a non-empty folder that is not an export."""
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"export destination {dest} is a file; give a new or empty folder with -o")
    if not dest.exists() or not any(dest.iterdir()):
        return None
    try:
        info = json.loads((dest / INFO).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        info = None
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        raise ExportError(f"export destination {dest} is not empty and is not a previous export (no readable "
                          f"{INFO}); {_fix(dest)}")
    return info


def check_same_testset(dest: Path, info: dict[str, Any], spec: SuiteSpec, scale: str, testset: TestSet) -> None:
    if info.get("suite") != spec.name or info.get("testset_hash") != testset.hash:
        raise ExportError(f"export destination {dest} holds an export of suite {info.get('suite')!r} "
                          f"({info.get('scale')}, test set {str(info.get('testset_hash'))[:16]}), not of {spec.name!r} "
                          f"({scale}, test set {testset.hash[:16]}); {_fix(dest)}")


def write_fresh(dest: Path, files: dict[str, bytes], info: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.export-"))
    try:
        for rel, data in {**files, INFO: info}.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the export gets the usual permissions
        if dest.exists():
            dest.rmdir()  # empty (checked): replaced by the finished export
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_over(dest: Path, files: dict[str, bytes], info: bytes, previous: dict[str, Any]) -> None:
    for rel, data in files.items():
        p = dest / rel
        if not (p.is_file() and p.read_bytes() == data):
            atomic_write_bytes(p, data)
    for rel in sorted(set(previous.get("files") or {}) - set(files)):
        stale = dest / rel
        if stale.is_file() and not Path(rel).is_absolute() and ".." not in Path(rel).parts:
            stale.unlink()
            for parent in stale.parents:
                if parent == dest or any(parent.iterdir()):
                    break
                parent.rmdir()
    atomic_write_bytes(dest / INFO, info)  # last: the export is complete


def export_testset(spec: SuiteSpec, scale: str, dest: str | Path, limit: int | None = None,
                   testsets_dir: str | Path | None = None) -> ExportReport:
    """Build (or reuse) the suite's test set at ``scale`` and export its first ``limit`` items (all
    when None) into ``dest``."""
    if limit is not None and limit < 1:
        raise ExportError(f"--limit must be >= 1, got {limit}")
    dest = Path(dest).expanduser().absolute()
    previous = previous_export(dest)  # a foreign folder is refused before any work
    testset = build_testset(spec, scale, testsets_dir)
    if previous is not None:
        check_same_testset(dest, previous, spec, scale, testset)
    items = testset.items[:limit] if limit is not None else list(testset.items)
    files = plan(spec, scale, testset, items, limit)
    info = info_document(spec, scale, testset, items, limit, files)
    if previous is None:
        write_fresh(dest, files, info)
    else:
        write_over(dest, files, info, previous)
    return ExportReport(dest, len(items), len(files) + 1, testset.hash, previous is not None)
