"""Reader for MusicCaps, the paper-scale data of text_to_music (a local path, never downloaded).

MusicCaps (env MUSICCAPS_ROOT or suite param ``musiccaps_root``)::

    <root>/musiccaps-public.csv   the release's csv: ytid,start_s,end_s,audioset_positive_labels,
                                  aspect_list,caption,author_id,is_balanced_subset,is_audioset_eval
    <root>/wav/<ytid>.wav         the 10 s clip [start_s, end_s) of each row (param ``audio_pattern``
                                  changes the name; fields {ytid}, {start_s})
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

from suites._paper_data import PaperDataMissing

log = logging.getLogger(__name__)

MUSICCAPS_ENV = "MUSICCAPS_ROOT"
MUSICCAPS_LAYOUT = ("<root>/musiccaps-public.csv (ytid,start_s,end_s,...,caption,...,is_audioset_eval) + "
                    "<root>/wav/<ytid>.wav")


@dataclass(frozen=True)
class MusicCapsClip:
    ytid: str
    caption: str
    start_s: int
    audioset_eval: bool
    path: Path


def musiccaps(root: Path, audio_pattern: str = "wav/{ytid}.wav", audioset_eval_only: bool = False
              ) -> list[MusicCapsClip]:
    """Rows whose audio exists, sorted by ytid; missing audio is counted and logged (YouTube-sourced)."""
    path = root / "musiccaps-public.csv"
    if not path.is_file():
        raise PaperDataMissing(f"{path} not found; expected {MUSICCAPS_LAYOUT}")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        need = {"ytid", "start_s", "caption", "is_audioset_eval"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise ValueError(f"{path}: header must contain {sorted(need)}, got {reader.fieldnames}")
        rows = list(reader)
    clips, missing = [], 0
    for row in sorted(rows, key=lambda r: r["ytid"]):
        evaluated = row["is_audioset_eval"].strip().lower() == "true"
        if audioset_eval_only and not evaluated:
            continue
        wav = root / audio_pattern.format(ytid=row["ytid"], start_s=row["start_s"])
        if not wav.is_file():
            missing += 1
            continue
        clips.append(MusicCapsClip(row["ytid"], row["caption"].strip(), int(float(row["start_s"])), evaluated, wav))
    if missing:
        log.warning("MusicCaps: %d of %d rows have no audio under %s; skipped", missing, len(rows), root)
    if not clips:
        raise PaperDataMissing(f"MusicCaps: no row of {path} has audio at {root / audio_pattern}; "
                               f"expected {MUSICCAPS_LAYOUT}")
    return clips
