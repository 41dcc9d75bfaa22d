"""Shared pieces of the dataset adapters: layout errors, an audio-file index, durations."""
from __future__ import annotations

import logging
from pathlib import Path

from unison.core.audio import AudioReadError, audio_info
from unison.data.manifests import ManifestRow, SkipReport

log = logging.getLogger(__name__)

AUDIO_EXTS = (".wav", ".flac", ".ogg", ".opus", ".mp3")


class LayoutError(ValueError):
    """The folder does not look like the dataset's published layout; the message describes it."""


def require(ok: bool, dataset: str, root: Path, problem: str, layout: str) -> None:
    if not ok:
        raise LayoutError(f"{dataset}: {problem} under {root}. Expected layout:\n{layout}")


def index_audio(root: Path) -> dict[str, Path]:
    """Map file stem -> path for every audio file below ``root`` (first one wins, sorted)."""
    index: dict[str, Path] = {}
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() in AUDIO_EXTS and p.is_file():
            index.setdefault(p.stem, p)
    return index


def find_audio(index: dict[str, Path], stems: list[str]) -> Path | None:
    for s in stems:
        if s in index:
            return index[s]
    return None


def file_duration(path: Path) -> float | None:
    """Seconds of an audio file, or None when soundfile cannot read its header."""
    try:
        info = audio_info(path)
    except AudioReadError:  # undecodable: the row is skipped with a reason by the caller
        return None
    return info.frames / info.samplerate if info.samplerate else None


def finish(dataset: str, rows: list[ManifestRow], report: SkipReport) -> list[ManifestRow]:
    if report.total:
        log.warning("%s: skipped %d entries: %s", dataset, report.total, report.summary())
    log.info("%s: %d manifest rows", dataset, len(rows))
    return rows
