"""AudioCaps: ``<split>.csv`` (audiocap_id,youtube_id,start_time,caption) + downloaded audio clips."""
from __future__ import annotations

import csv
from pathlib import Path

from unison.data.corpora.common import file_duration, find_audio, finish, index_audio, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/<split>.csv            header: audiocap_id,youtube_id,start_time,caption  (split = train|val|test)
  ROOT/audio/... (any depth)   one clip per row, named <audiocap_id>.<ext>, <youtube_id>_<start_time>.<ext>,
                               Y<youtube_id>_<start_time>.<ext> or <youtube_id>.<ext> (wav/flac/ogg/mp3)"""
COLUMNS = ("audiocap_id", "youtube_id", "start_time", "caption")


def audiocaps(root: str | Path, split: str = "train", audio_dir: str | Path | None = None) -> list[ManifestRow]:
    root = Path(root)
    table = root / f"{split}.csv"
    require(table.is_file(), "AudioCaps", root, f"no {table.name}", LAYOUT)
    audio_root = Path(audio_dir) if audio_dir else root / "audio"
    require(audio_root.is_dir(), "AudioCaps", root, f"no audio folder {audio_root.name}/", LAYOUT)
    index = index_audio(audio_root)
    report, rows = SkipReport(), []
    with table.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        require(set(COLUMNS) <= set(reader.fieldnames or ()), "AudioCaps", root,
                f"{table.name} has columns {reader.fieldnames}", LAYOUT)
        for r in reader:
            cap_id, yt, start = r["audiocap_id"].strip(), r["youtube_id"].strip(), r["start_time"].strip()
            path = find_audio(index, [cap_id, f"{yt}_{start}", f"Y{yt}_{start}", yt, f"Y{yt}"])
            if path is None:
                report.add("audio missing", cap_id)
                continue
            dur = file_duration(path)
            if dur is None:
                report.add("unreadable", cap_id)
                continue
            rows.append(ManifestRow(id=f"audiocaps/{cap_id}", path=str(path), duration=dur, kind="sound",
                                    text=r["caption"].strip(), language="en", source="audiocaps"))
    return finish("AudioCaps", rows, report)
