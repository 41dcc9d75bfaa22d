"""VGGSound: vggsound.csv without header (youtube_id, start_seconds, label, train|test) + clips."""
from __future__ import annotations

import csv
from pathlib import Path

from unison.data.corpora.common import file_duration, find_audio, finish, index_audio, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/vggsound.csv           no header; rows: youtube_id,start_seconds,label,train|test
  ROOT/audio/... (any depth)  clips (audio extracted from the videos: wav/flac/ogg/mp3) named
                              <youtube_id>_<start_seconds zero-padded to 6 digits>.<ext> or <youtube_id>_<start>.<ext>"""


def vggsound(root: str | Path, split: str | None = "train") -> list[ManifestRow]:
    root = Path(root)
    table = root / "vggsound.csv"
    require(table.is_file(), "VGGSound", root, "no vggsound.csv", LAYOUT)
    require((root / "audio").is_dir(), "VGGSound", root, "no audio/ folder", LAYOUT)
    index = index_audio(root / "audio")
    report, rows = SkipReport(), []
    with table.open(encoding="utf-8", newline="") as f:
        for rec in csv.reader(f):
            if len(rec) != 4:
                report.add("malformed line", ",".join(rec)[:40])
                continue
            yt, start, label, row_split = (x.strip() for x in rec)
            if split is not None and row_split != split:
                continue
            try:
                s = int(float(start))
            except ValueError:
                report.add("malformed line", yt)
                continue
            path = find_audio(index, [f"{yt}_{s:06d}", f"{yt}_{s}", yt])
            if path is None:
                report.add("audio missing", f"{yt}_{s}")
                continue
            dur = file_duration(path)
            if dur is None:
                report.add("unreadable", f"{yt}_{s}")
                continue
            rows.append(ManifestRow(id=f"vggsound/{yt}_{s:06d}", path=str(path), duration=dur, kind="sound",
                                    text=label, language="en", source="vggsound"))
    return finish("VGGSound", rows, report)
