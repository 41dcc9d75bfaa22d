"""Readers for the paper-scale evaluation data, read from local paths (never downloaded).

AudioCaps test (env AUDIOCAPS_ROOT or suite param ``audiocaps_root``)::

    <root>/test.csv            the official csv: audiocap_id,youtube_id,start_time,caption
    <root>/test/<youtube_id>.wav   one 10 s clip per youtube_id (param ``audio_pattern`` changes
                                   the name; fields {youtube_id}, {audiocap_id}, {start_time})

Seed-TTS eval (env SEEDTTS_EVAL_ROOT or suite param ``seedtts_root``), the seed-tts-eval release::

    <root>/en/meta.lst         utt|prompt_text|prompt_wav|target_text  (1088 lines)
    <root>/zh/meta.lst         same format (2020 lines)
    <root>/<lang>/prompt-wavs/...   prompt_wav paths are relative to the meta.lst folder
    <root>/<lang>/wavs/<utt>.wav    optional ground-truth recordings of target_text

A 5th field (a ground-truth wav path) is accepted as in the release's variants.
"""
from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

AUDIOCAPS_ENV = "AUDIOCAPS_ROOT"
SEEDTTS_ENV = "SEEDTTS_EVAL_ROOT"
AUDIOCAPS_LAYOUT = "<root>/test.csv (audiocap_id,youtube_id,start_time,caption) + <root>/test/<youtube_id>.wav"
SEEDTTS_LAYOUT = ("<root>/{en,zh}/meta.lst (utt|prompt_text|prompt_wav|target_text), prompt wavs relative to "
                  "meta.lst, optional ground truth <root>/<lang>/wavs/<utt>.wav")


class PaperDataMissing(FileNotFoundError):
    """Paper-scale data is not on this machine; the message names the layout and how to point at it."""


def data_root(params: dict[str, Any], key: str, env: str, layout: str, suite: str) -> Path:
    value = params.get(key) or os.environ.get(env)
    if not value:
        raise PaperDataMissing(
            f"suite {suite!r} at paper scale needs local data: set ${env} (or the suite param "
            f"scales.paper.{key}) to a folder laid out as {layout}. It is never downloaded; "
            "use --scale mini for the offline test set.")
    root = Path(value).expanduser()
    if not root.is_dir():
        raise PaperDataMissing(f"suite {suite!r}: {key} / ${env} = {str(root)!r} is not a folder; expected {layout}")
    return root


@dataclass(frozen=True)
class AudioCapsClip:
    id: str  # youtube_id
    caption: str
    path: Path
    audiocap_id: int = 0  # of the caption used (the clip's lowest)
    start_time: int | float = 0  # seconds into the YouTube video, as the csv gives it


def _number(text: str) -> int | float:
    x = float(text)
    return int(x) if x.is_integer() else x


def audiocaps_test(root: Path, audio_pattern: str = "test/{youtube_id}.wav", csv_name: str = "test.csv"
                   ) -> list[AudioCapsClip]:
    """One caption per clip (the lowest audiocap_id of each youtube_id), clips whose audio exists,
    sorted by id. Missing audio files are counted and logged (YouTube-sourced sets always lose some)."""
    csv_path = root / csv_name
    if not csv_path.is_file():
        raise PaperDataMissing(f"{csv_path} not found; expected {AUDIOCAPS_LAYOUT}")
    first: dict[str, tuple[int, dict[str, str]]] = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        need = {"audiocap_id", "youtube_id", "start_time", "caption"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise ValueError(f"{csv_path}: header must contain {sorted(need)}, got {reader.fieldnames}")
        for row in reader:
            cap_id = int(row["audiocap_id"])
            yid = row["youtube_id"].strip()
            if yid not in first or cap_id < first[yid][0]:
                first[yid] = (cap_id, row)
    clips, missing = [], 0
    for yid in sorted(first):
        row = first[yid][1]
        path = root / audio_pattern.format(youtube_id=yid, audiocap_id=row["audiocap_id"],
                                           start_time=row["start_time"])
        if not path.is_file():
            missing += 1
            continue
        clips.append(AudioCapsClip(id=yid, caption=row["caption"].strip(), path=path, audiocap_id=first[yid][0],
                                   start_time=_number(row["start_time"])))
    if missing:
        log.warning("AudioCaps test: %d of %d clips have no audio under %s (pattern %r); skipped",
                    missing, len(first), root, audio_pattern)
    if not clips:
        raise PaperDataMissing(f"AudioCaps test: none of the {len(first)} clips of {csv_path} has audio at "
                               f"{root / audio_pattern}; expected {AUDIOCAPS_LAYOUT}")
    return clips


@dataclass(frozen=True)
class SeedTTSRow:
    utt: str
    prompt_text: str
    prompt_wav: Path
    target_text: str
    target_wav: Path | None  # ground-truth recording of target_text, when present
    lang: str


def parse_meta_lst(meta: Path, lang: str) -> list[SeedTTSRow]:
    """Parse a seed-tts-eval meta.lst; relative wav paths resolve against its folder. Bad lines are an
    error naming the line (a silently shorter test set would change every number)."""
    if not meta.is_file():
        raise PaperDataMissing(f"{meta} not found; expected {SEEDTTS_LAYOUT}")
    base = meta.parent
    rows = []
    for n, line in enumerate(meta.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("|")
        if len(parts) == 4:
            utt, prompt_text, prompt_wav, target_text = parts
            gt = base / "wavs" / f"{utt}.wav"
        elif len(parts) == 5:
            utt, prompt_text, prompt_wav, target_text, gt_rel = parts
            gt = Path(gt_rel) if Path(gt_rel).is_absolute() else base / gt_rel
        else:
            raise ValueError(f"{meta}:{n}: expected 4 '|'-separated fields "
                             f"(utt|prompt_text|prompt_wav|target_text), got {len(parts)}")
        if not utt.strip() or not target_text.strip():
            raise ValueError(f"{meta}:{n}: empty utt or target_text")
        pw = Path(prompt_wav)
        pw = pw if pw.is_absolute() else base / pw
        rows.append(SeedTTSRow(utt=utt.strip(), prompt_text=prompt_text.strip(), prompt_wav=pw,
                               target_text=target_text.strip(), target_wav=gt if gt.is_file() else None,
                               lang=lang))
    return rows


def seedtts_rows(root: Path, lang: str) -> list[SeedTTSRow]:
    return parse_meta_lst(root / lang / "meta.lst", lang)
