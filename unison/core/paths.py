"""Where files may be read from, and where caches live.

Confinement of the file paths that manifests name (training manifests, bench test sets):
A manifest row's path must resolve, symlinks followed, inside the manifest's own folder or inside
a data root the user allowed explicitly: ``--data-root DIR`` where a command offers it, or the
environment variable UNISON_DATA_ROOT (several folders separated by the OS path separator, ':' on
Linux). A ``../`` escape, an absolute path elsewhere, or a symlink pointing out is refused, so a
manifest from somewhere else cannot make a run read (or hash, or copy into a report) arbitrary files.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

DATA_ROOT_ENV = "UNISON_DATA_ROOT"
CACHE_ENV = "UNISON_CACHE_DIR"


def cache_root() -> Path:
    """The project's cache folder (LLM hidden states, file checksums, assembled offline models):
    $UNISON_CACHE_DIR, else ~/.cache/unison."""
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "unison"))


class PathEscapeError(ValueError):
    """A manifest path resolves outside the manifest's folder and every allowed data root."""


def data_roots(extra: Iterable[str | os.PathLike] = ()) -> tuple[Path, ...]:
    """The allowed data roots: ``extra`` (e.g. --data-root options) then $UNISON_DATA_ROOT, resolved."""
    env = [p for p in os.environ.get(DATA_ROOT_ENV, "").split(os.pathsep) if p]
    return tuple(Path(p).expanduser().resolve() for p in [*map(str, extra), *env])


def allow_hint(option: bool = True) -> str:
    """How to allow another folder (commands without a --data-root option say only the variable)."""
    var = f"{DATA_ROOT_ENV}=DIR (several joined by '{os.pathsep}')"
    return f"pass --data-root DIR or set {var}" if option else f"set {var}"


def confine(rel: str, base: str | os.PathLike, roots: Sequence[Path], where: str, *, option: bool = True) -> Path:
    """``base / rel`` if it resolves (symlinks followed) inside ``base`` or one of ``roots``, else a
    PathEscapeError naming ``where`` (e.g. "m.jsonl line 3 field 'path'"), the path, the rule and
    how to allow a data root."""
    base = Path(base)
    path = base / rel  # an absolute rel stays itself
    target = path.resolve()
    inside = [base.resolve(), *roots]
    if any(target.is_relative_to(root) for root in inside):
        return path
    allowed = f"{base} or an allowed data root ({', '.join(map(str, roots))})" if roots else f"{base}"
    raise PathEscapeError(
        f"{where}: {rel!r} resolves to {target}, outside {allowed}; a manifest may only name files inside its "
        f"own folder or an allowed data root. To read files from another folder, {allow_hint(option)}")
