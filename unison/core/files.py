"""Atomic file writes and file hashing.

A write goes to a temporary name beside the target and is renamed over it, so a reader (or a run
that resumes after a kill) sees either the old file or the whole new one, never a torn write.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

CHUNK = 1 << 20  # bytes read at a time when hashing


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary file path beside ``path``; when the block completes, the file written there
    replaces ``path``. On an error nothing is left behind. For writers that want a file name
    (torch.save, safetensors, soundfile)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    # torch.save names the archive inside its zip after the file, so the temporary file keeps one
    # fixed name (in a private folder): the same object saved twice gives the same bytes
    tmp = folder / f".{path.name}.tmp"
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def publish_dir(tmp: str | os.PathLike, path: str | os.PathLike, *, replace: bool = False,
                done: Callable[[Path], bool] = Path.is_dir) -> Path:
    """Rename the finished folder ``tmp`` to ``path``. If ``path`` exists: with ``replace`` it is
    removed first; otherwise, when ``done(path)`` says another writer already finished it (the same
    content built twice), theirs is kept and ``tmp`` removed, else the rename error is raised."""
    tmp, path = Path(tmp), Path(path)
    if replace and path.exists():
        shutil.rmtree(path)
    try:
        os.replace(tmp, path)
    except OSError:
        if not done(path):
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return path


@contextmanager
def atomic_dir(path: str | os.PathLike, *, replace: bool = False,
               done: Callable[[Path], bool] = Path.is_dir) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``path``, published there by :func:`publish_dir` when
    the block completes; on an error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        publish_dir(tmp, path, replace=replace, done=done)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path: str | os.PathLike, offset: int = 0) -> str:
    """Streaming sha256 of a file's bytes from ``offset`` on."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(offset)
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """sha256 of bytes already in memory (the same digest sha256_file gives for a file holding them)."""
    return hashlib.sha256(data).hexdigest()
