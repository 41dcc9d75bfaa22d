"""Emilia: per-utterance metadata {"id", "wav", "text", "duration", "speaker", "language", "dnsmos"},
either as <LANG>/<LANG>_B00000.jsonl files (one object per line) or one .json beside each audio file."""
from __future__ import annotations

import json
from pathlib import Path

from unison.data.corpora.common import finish, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/<LANG>/<LANG>_B00000.jsonl  lines {"id", "wav": "<LANG>_B00000/<...>/mp3/<id>.mp3", "text",
                                   "duration", "speaker", "language", "dnsmos"}  (wav relative to the jsonl folder)
  or ROOT/.../<id>.json beside <id>.mp3 (same fields, one object per file)"""
KEYS = ("id", "text", "speaker", "language")


def _records(root: Path):
    for jl in sorted(root.rglob("*.jsonl")):
        for i, line in enumerate(jl.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield jl.parent, line, f"{jl.name}:{i}"
    for js in sorted(root.rglob("*.json")):
        yield js.parent, js.read_text(encoding="utf-8"), js.name


def emilia(root: str | Path, languages: tuple[str, ...] | None = ("en", "zh"),
           min_dnsmos: float | None = None) -> list[ManifestRow]:
    root = Path(root)
    records = list(_records(root)) if root.is_dir() else []
    require(bool(records), "Emilia", root, "no .jsonl or per-utterance .json metadata", LAYOUT)
    report, rows = SkipReport(), []
    for folder, text, where in records:
        try:
            d = json.loads(text)
            missing = [k for k in KEYS if k not in d]
            if missing:
                raise KeyError(missing)
        except (ValueError, KeyError) as exc:
            report.add("malformed metadata", where)
            continue
        lang = str(d["language"]).lower()
        if languages is not None and lang not in languages:
            continue
        if min_dnsmos is not None and float(d.get("dnsmos", 0.0)) < min_dnsmos:
            report.add("dnsmos below threshold", d["id"])
            continue
        candidates = [folder / d["wav"]] if d.get("wav") else []
        candidates += [folder / f"{d['id']}{ext}" for ext in (".mp3", ".wav", ".flac")]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            report.add("audio missing", d["id"])
            continue
        dur = float(d.get("duration") or 0)
        if dur <= 0 or not str(d["text"]).strip():
            report.add("no duration or text", d["id"])
            continue
        rows.append(ManifestRow(id=f"emilia/{d['id']}", path=str(path), duration=dur, kind="speech",
                                text=str(d["text"]).strip(), language=lang, speaker=f"emilia/{d['speaker']}",
                                source="emilia"))
    return finish("Emilia", rows, report)
