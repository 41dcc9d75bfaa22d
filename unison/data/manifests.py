"""Training manifests: one JSON object per line, one row per usable clip (or segment of a long file).

A row names an audio file (relative to the manifest's folder, or absolute), its duration, what is
in it (caption for sounds, transcript for speech), language, speaker and gender. Long files (e.g.
WenetSpeech recordings) are referenced by segment: ``offset`` and ``end`` in seconds.

Confinement: a row's path must resolve, symlinks followed, inside the manifest's folder or an
allowed data root (``--data-root`` / UNISON_DATA_ROOT, unison.core.paths); a row that escapes is an
error naming its line, field and path, since it means the manifest is not for this machine's data.

Reading never crashes on one bad row otherwise: malformed lines (the reason names e.g. the unknown
key and lists the known ones) and rows whose audio is missing, unreadable, not finite, silent, too
short or at another sample rate than the config demands are skipped, each with a counted and
logged reason. A manifest with no usable row at all is a clear error.
"""
from __future__ import annotations

import json
import logging
import os
import zlib
from collections import Counter
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from unison.core.audio import AudioReadError, audio_info, read_mono
from unison.core.files import atomic_write_text
from unison.core.paths import PathEscapeError, confine, data_roots

log = logging.getLogger(__name__)

KINDS = ("speech", "sound")
GENDERS = ("male", "female")


class ManifestError(ValueError):
    """A manifest cannot be used at all (no usable rows, unreadable file)."""


@dataclass(frozen=True)
class ManifestRow:
    id: str
    path: str  # absolute, or relative to the manifest's folder
    duration: float  # seconds of the usable segment (end - offset for long files)
    kind: str  # speech | sound
    text: str  # transcript (speech) or caption (sound)
    language: str | None = None  # en | zh | ... (language of `text`)
    speaker: str | None = None
    gender: str | None = None  # male | female | None (unknown)
    offset: float = 0.0  # segment start within the file (seconds)
    end: float | None = None  # segment end within the file (seconds); None = end of file
    source: str = ""  # dataset name, e.g. "libritts", "tuxpaint"
    captions: dict[str, str] = field(default_factory=dict)  # other-language captions {lang: text}

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"row {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.gender is not None and self.gender not in GENDERS:
            raise ValueError(f"row {self.id!r}: gender must be one of {GENDERS} or null, got {self.gender!r}")
        if not (self.duration > 0):
            raise ValueError(f"row {self.id!r}: duration must be positive, got {self.duration!r}")
        if self.offset < 0 or (self.end is not None and self.end <= self.offset):
            raise ValueError(f"row {self.id!r}: bad segment offset={self.offset} end={self.end}")
        if not self.text.strip():
            raise ValueError(f"row {self.id!r}: empty text (caption/transcript)")

    def resolve(self, root: str | Path) -> Path:
        p = Path(self.path)
        return p if p.is_absolute() else Path(root) / p

    def text_in(self, lang: str) -> str | None:
        """Caption/transcript in ``lang`` if the row has one."""
        if self.language == lang:
            return self.text
        return self.captions.get(lang)

    def to_json(self) -> str:
        d = asdict(self)
        d["duration"] = round(float(self.duration), 4)
        return json.dumps(d, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "ManifestRow":
        """A row from one parsed JSON line; a wrong key set is a RowKeyError naming the keys."""
        if not isinstance(d, dict):
            raise RowKeyError(f"not a JSON object ({type(d).__name__})")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise RowKeyError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                              f"(known keys: {', '.join(known)})")
        missing = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
                   and f.name not in d]
        if missing:
            raise RowKeyError(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
        return cls(**d)


class RowKeyError(ValueError):
    """A manifest line is not a JSON object with ManifestRow's keys (the message names the keys)."""


def write_manifest(path: str | Path, rows: Iterable[ManifestRow]) -> Path:
    """Write rows as JSONL atomically."""
    return atomic_write_text(path, "".join(row.to_json() + "\n" for row in rows))


@dataclass
class SkipReport:
    """Why rows were skipped: counts per reason plus a few example ids (for the log)."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, row_id: str) -> None:
        self.counts[reason] += 1
        ex = self.examples.setdefault(reason, [])
        if len(ex) < 3:
            ex.append(row_id)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return "; ".join(f"{r}: {n} (e.g. {', '.join(self.examples[r])})" for r, n in sorted(self.counts.items()))


@dataclass(frozen=True)
class ValidationRules:
    """What makes a row usable. ``sample_rate``: when set, files at another rate are skipped
    (for profiles that demand pre-resampled data); None accepts any rate (resampled on load)."""

    min_seconds: float = 0.3
    silence_dbfs: float = -60.0  # RMS below this (dB re full scale) = silent
    sample_rate: int | None = None
    check_audio: bool = True  # decode the segment to test for silence (costs one read per row)


@dataclass
class Manifest:
    rows: list[ManifestRow]
    root: Path  # folder that relative paths are resolved against
    skipped: SkipReport

    def path_of(self, row: ManifestRow) -> Path:
        return row.resolve(self.root)


def held_out(row_id: str, every: int) -> bool:
    """The stable held-out rule (every ``every``-th row by crc32 of its id), as the VAE fit uses."""
    return every > 0 and zlib.crc32(row_id.encode()) % every == 0


def manifest_file(path: str | Path) -> Path:
    """``path`` if it is a file, else a ManifestError saying how to make one."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"manifest {path} not found (build one with `unison data manifest` "
                            "or `unison data mini-corpus`)")
    return path


def _malformed(exc: Exception) -> str:
    """The skip reason of a malformed line, without the row id (so equal faults count together)."""
    if isinstance(exc, json.JSONDecodeError):
        return "malformed: not JSON"
    message = str(exc)
    if message.startswith("row ") and ": " in message:
        message = message.split(": ", 1)[1]
    return f"malformed: {message}"


def read_rows(path: str | Path, report: SkipReport | None = None, *,
              roots: Sequence[str | os.PathLike] = ()) -> list[ManifestRow]:
    """Parse a JSONL manifest. Malformed lines are skipped into ``report`` with their reason. Every
    row's path must stay inside the manifest's folder or an allowed data root (``roots`` and
    $UNISON_DATA_ROOT): rows that escape are one ManifestError naming them."""
    path = manifest_file(path)
    report = report if report is not None else SkipReport()
    allowed = data_roots(roots)
    rows, escapes = [], []
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = ManifestRow.from_dict(json.loads(line))
            except (ValueError, TypeError) as exc:
                report.add(_malformed(exc), f"line {i}")
                log.debug("manifest %s line %d malformed: %s", path, i, exc)
                continue
            try:
                confine(row.path, path.parent, allowed, f"{path} line {i} (row {row.id!r}) field 'path'")
            except PathEscapeError as exc:
                escapes.append(str(exc))
                continue
            rows.append(row)
    if escapes:
        more = f" ({len(escapes) - 1} more rows escape the same way)" if len(escapes) > 1 else ""
        raise ManifestError(escapes[0] + more)
    return rows


def check_row(row: ManifestRow, file: Path, rules: ValidationRules) -> str | None:
    """None if the row is usable, else the reason it is not."""
    if row.duration < rules.min_seconds:
        return "too short"
    if not file.is_file():
        return "file missing"
    try:
        info = audio_info(file)
    except AudioReadError:
        return "unreadable"
    if rules.sample_rate is not None and info.samplerate != rules.sample_rate:
        return f"sample rate {info.samplerate} != {rules.sample_rate}"
    file_seconds = info.frames / info.samplerate
    end = row.end if row.end is not None else file_seconds
    if end > file_seconds + 0.05 or row.offset >= file_seconds:
        return "segment beyond end of file"
    if end - row.offset < rules.min_seconds:
        return "too short"
    if rules.check_audio:
        try:
            start = int(round(row.offset * info.samplerate))
            stop = int(round(end * info.samplerate))
            wave, _ = read_mono(file, start=start, stop=min(stop, info.frames))
        except AudioReadError:
            return "unreadable"
        if not np.isfinite(wave).all():
            return "NaN/inf samples"
        rms = float(np.sqrt(np.mean(np.square(wave, dtype=np.float64)))) if wave.size else 0.0
        if rms <= 10 ** (rules.silence_dbfs / 20):
            return "silent"
    return None


def validate_rows(rows: list[ManifestRow], root: str | Path, rules: ValidationRules = ValidationRules(),
                  report: SkipReport | None = None, name: str = "manifest") -> tuple[list[ManifestRow], SkipReport]:
    """Keep usable rows; count and log the others by reason. Raises ManifestError when none is usable."""
    report = report if report is not None else SkipReport()
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row.id in seen:
            report.add("duplicate id", row.id)
            continue
        seen.add(row.id)
        reason = check_row(row, row.resolve(root), rules)
        if reason is None:
            kept.append(row)
        else:
            report.add(reason, row.id)
    if report.total:
        malformed = sum(n for reason, n in report.counts.items() if reason.startswith("malformed"))
        log.warning("%s: skipped %d of %d rows: %s", name, report.total, len(rows) + malformed,
                    report.summary())
    if not kept:
        hint = ""
        if any(r in report.counts for r in ("file missing", "unreadable")):
            hint = "; check the audio paths (relative paths resolve against the manifest's folder)"
        raise ManifestError(f"{name}: no usable rows ({report.summary() or 'the manifest is empty'}){hint}")
    log.info("%s: %d usable rows", name, len(kept))
    return kept, report


def load_manifest(path: str | Path, rules: ValidationRules = ValidationRules(), *,
                  roots: Sequence[str | os.PathLike] = ()) -> Manifest:
    """Read and validate a manifest; relative audio paths resolve against its folder, and every path
    stays inside it or an allowed data root (``roots``, $UNISON_DATA_ROOT)."""
    path = Path(path)
    report = SkipReport()
    rows = read_rows(path, report, roots=roots)
    kept, report = validate_rows(rows, path.parent, rules, report, name=str(path))
    return Manifest(kept, path.parent, report)
