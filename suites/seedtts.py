"""seedtts: pure TTS (task tts) and zero-shot TTS (task zs_tts) on Seed-TTS eval's meta.lst.

Both scales go through the same meta.lst parser (suites/_paper_data.parse_meta_lst):
- paper: $SEEDTTS_EVAL_ROOT/{en,zh}/meta.lst (EN 1088 / ZH 2020 lines);
- mini: a meta.lst in the same format written to a temporary folder from offline speakers: real
  recorded asterisk prompts and deterministic TTS voices (EN flite/festival, ZH espeak); each line's
  prompt wav is a DIFFERENT utterance of the same speaker, its ground truth the speaker saying
  target_text.

Every meta.lst line gives two items: ``<lang>-tts-<utt>`` (instruction only) and ``<lang>-zs-<utt>``
(reference = the prompt wav). Subsets: tts-en, zs-en, tts-zh, zs-zh (the paper's four columns).
Target = the ground-truth recording when present, zero-padded to the item's duration: ``seconds``,
extended to whole seconds (plus 0.5 s) when the recording is longer, so no word is cut.
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.item import Item
from bench.testset import pcm16_bytes
from suites import _instructions as ins
from suites import _paper_data as paper
from suites._compose import with_floor
from suites._pools import SpeechSrc, asterisk_speech, file_wave, offline_voice_speech
from unison.core.audio import read_mono
from unison.core.signal import fit_length, seconds_to_samples

SUITE = "seedtts"
MODES = {"tts": "tts", "zs": "zs_tts"}


def item_seconds(canvas: float, gt_seconds: float | None) -> float:
    if gt_seconds is None or gt_seconds <= canvas:
        return canvas
    return float(math.ceil(gt_seconds) + 0.5)


def rows_to_items(rows: list[paper.SeedTTSRow], params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    canvas = float(params["seconds"])
    modes = params.get("modes", ["tts", "zs"])
    for row in rows:
        target_rel, seconds = None, canvas
        if row.target_wav is not None:
            gt = file_wave(row.target_wav, sr)
            seconds = item_seconds(canvas, gt.size / sr)
            target = fit_length(gt, seconds_to_samples(seconds, sr))
            target_rel = out.add_audio(f"target/{row.lang}-{row.utt}", with_floor(out, f"{row.lang}-{row.utt}", target), sr)
        if "zs" in modes:
            if not row.prompt_wav.is_file():
                raise FileNotFoundError(f"seedtts: prompt wav {row.prompt_wav} (utt {row.utt!r}) is missing; "
                                        f"expected {paper.SEEDTTS_LAYOUT}")
            ref_rel = out.add_audio(f"reference/{row.lang}-{row.utt}", read_mono(row.prompt_wav, sr)[0], sr)
        for mode in modes:
            item_id = f"{row.lang}-{mode}-{row.utt}"
            zs = mode == "zs"
            out.add_item(Item(
                id=item_id, task=MODES[mode], seconds=seconds, seed=out.item_seed(item_id),
                instruction=ins.zs_tts(row.target_text) if zs else ins.tts(row.target_text),
                target=target_rel, reference=ref_rel if zs else None, text=row.target_text, lang=row.lang,
                subset=f"{mode}-{row.lang}", meta={"utt": row.utt, "prompt_text": row.prompt_text} if zs
                else {"utt": row.utt}))


# ---------------------------------------------------------------- mini: a meta.lst made offline

def offline_speakers(lang: str) -> dict[str, list[SpeechSrc]]:
    """speaker -> utterances, sorted; EN = TTS voices + the real asterisk speaker, ZH = espeak voices."""
    pool = offline_voice_speech(lang) + (asterisk_speech() if lang == "en" else [])
    by: dict[str, list[SpeechSrc]] = {}
    for s in sorted(pool, key=lambda s: s.id):
        by.setdefault(s.speaker, []).append(s)
    return by


def write_offline_meta(folder: Path, lang: str, n_lines: int, rng: np.random.Generator, sr: int) -> Path:
    """``n_lines`` lines spread round-robin over the speakers; prompt and target are two different
    utterances of one speaker. Returns the meta.lst path (same layout as the release)."""
    speakers = offline_speakers(lang)
    names = sorted(speakers)
    lines = []
    used: dict[str, set[int]] = {n: set() for n in names}
    for k in range(n_lines):
        spk = names[k % len(names)]
        utts = speakers[spk]
        free = [i for i in range(len(utts)) if i not in used[spk]]
        if len(free) < 2:
            raise ValueError(f"seedtts mini: speaker {spk} has too few utterances for {n_lines} lines")
        i, j = (free[x] for x in rng.choice(len(free), size=2, replace=False))
        used[spk] |= {i, j}
        prompt, target = utts[i], utts[j]
        utt = f"{spk}-{k:03d}"
        for sub, src in (("prompt-wavs", prompt), ("wavs", target)):
            path = folder / lang / sub / f"{utt}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pcm16_bytes(src.load(sr), sr))
        lines.append(f"{utt}|{prompt.text}|prompt-wavs/{utt}.wav|{target.text}")
    meta = folder / lang / "meta.lst"
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return meta


def build(params: dict[str, Any], out) -> None:
    langs = params.get("langs", ["en", "zh"])
    data = params.get("data", "offline")
    if data == "paper":
        root = paper.data_root(params, "seedtts_root", paper.SEEDTTS_ENV, paper.SEEDTTS_LAYOUT, SUITE)
        for lang in langs:
            rows = paper.seedtts_rows(root, lang)
            limit = params.get("limit")
            rows_to_items(rows[: int(limit)] if limit else rows, params, out)
        return
    if data != "offline":
        raise ValueError(f"suite {SUITE!r}: param data={data!r} must be 'offline' or 'paper'")
    sr = int(params.get("sample_rate", 16000))
    with tempfile.TemporaryDirectory(prefix="seedtts-mini-") as tmp:
        for lang in langs:
            meta = write_offline_meta(Path(tmp), lang, int(params[f"n_{lang}"]), out.rng(f"meta-{lang}"), sr)
            rows_to_items(paper.parse_meta_lst(meta, lang), params, out)
