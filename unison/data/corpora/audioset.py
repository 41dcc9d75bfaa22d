"""AudioSet with labels: segments CSVs (YTID, start_seconds, end_seconds, positive_labels) and
class_labels_indices.csv (index,mid,display_name); the caption is the list of label names."""
from __future__ import annotations

import csv
from pathlib import Path

from unison.data.corpora.common import file_duration, find_audio, finish, index_audio, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/class_labels_indices.csv   header: index,mid,display_name
  ROOT/*_segments.csv             '# ...' comment lines, then: YTID, start_seconds, end_seconds, "mid1,mid2"
  ROOT/audio/... (any depth)      clips named <YTID>.<ext>, Y<YTID>.<ext> or <YTID>_<start_seconds as int>.<ext>"""


def label_names(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if not {"mid", "display_name"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: expected columns index,mid,display_name, got {reader.fieldnames}")
        return {r["mid"].strip(): r["display_name"].strip() for r in reader}


def audioset(root: str | Path, segments: str = "*_segments.csv") -> list[ManifestRow]:
    root = Path(root)
    labels_csv = root / "class_labels_indices.csv"
    require(labels_csv.is_file(), "AudioSet", root, "no class_labels_indices.csv", LAYOUT)
    tables = sorted(root.glob(segments))
    require(bool(tables), "AudioSet", root, f"no segments CSV matching {segments}", LAYOUT)
    require((root / "audio").is_dir(), "AudioSet", root, "no audio/ folder", LAYOUT)
    names = label_names(labels_csv)
    index = index_audio(root / "audio")
    report, rows = SkipReport(), []
    for table in tables:
        with table.open(encoding="utf-8", newline="") as f:
            lines = (line for line in f if not line.startswith("#"))
            for rec in csv.reader(lines, skipinitialspace=True):
                if not rec:
                    continue
                if len(rec) < 4:
                    report.add("malformed segment line", ",".join(rec)[:40])
                    continue
                ytid, start, end, mids = rec[0].strip(), float(rec[1]), float(rec[2]), rec[3]
                caption = ", ".join(names[m] for m in mids.split(",") if m.strip() in names)
                if not caption:
                    report.add("no known label", ytid)
                    continue
                path = find_audio(index, [ytid, f"Y{ytid}", f"{ytid}_{int(start)}", f"Y{ytid}_{int(start)}",
                                          f"{ytid}_{start:.3f}"])
                if path is None:
                    report.add("audio missing", ytid)
                    continue
                dur = file_duration(path)
                if dur is None:
                    report.add("unreadable", ytid)
                    continue
                rows.append(ManifestRow(id=f"audioset/{ytid}_{int(start)}", path=str(path), duration=dur,
                                        kind="sound", text=caption, language="en", source="audioset"))
    return finish("AudioSet", rows, report)
