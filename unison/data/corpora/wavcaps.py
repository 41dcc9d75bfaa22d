"""WavCaps: JSON metadata files ({"num_captions_per_audio": 1, "data": [{"id", "caption", "duration",
...}]}) per source (FreeSound, BBC_Sound_Effects, SoundBible, AudioSet_SL) + the unzipped audio."""
from __future__ import annotations

import json
from pathlib import Path

from unison.data.corpora.common import file_duration, find_audio, finish, index_audio, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/json_files/<Source>/*.json   {"num_captions_per_audio": 1, "data": [{"id": ..., "caption": ..., "duration": ...}, ...]}
  ROOT/<any other folder>/...        the unzipped audio, one file per entry named <id>.<ext> (flac/wav/...)"""


def wavcaps(root: str | Path) -> list[ManifestRow]:
    root = Path(root)
    meta_dir = root / "json_files"
    require(meta_dir.is_dir(), "WavCaps", root, "no json_files/ folder", LAYOUT)
    metas = sorted(meta_dir.rglob("*.json"))
    require(bool(metas), "WavCaps", root, "no JSON metadata files in json_files/", LAYOUT)
    index = {k: v for k, v in index_audio(root).items() if meta_dir not in v.parents}
    report, rows = SkipReport(), []
    for meta in metas:
        try:
            entries = json.loads(meta.read_text(encoding="utf-8"))["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"WavCaps metadata {meta} is not {{'data': [...]}}: {exc}") from exc
        source = meta.parent.name if meta.parent != meta_dir else meta.stem
        for e in entries:
            raw_id = str(e.get("id", "")).strip()
            caption = str(e.get("caption", "")).strip()
            if not raw_id or not caption:
                report.add("no id or caption", f"{meta.name}:{raw_id}")
                continue
            stem = Path(raw_id).stem if Path(raw_id).suffix.lower() in (".wav", ".flac") else raw_id
            path = find_audio(index, [stem, raw_id])
            if path is None:
                report.add("audio missing", raw_id)
                continue
            dur = e.get("duration") or file_duration(path)
            if not dur:
                report.add("unreadable", raw_id)
                continue
            rows.append(ManifestRow(id=f"wavcaps/{source}/{stem}", path=str(path), duration=float(dur),
                                    kind="sound", text=caption, language="en", source=f"wavcaps/{source}"))
    return finish("WavCaps", rows, report)
