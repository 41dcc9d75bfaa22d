"""Readers for the paper-scale speech data of the speech-processing suites (local paths, never downloaded).

VoiceBank-DEMAND test (env VOICEBANK_DEMAND_ROOT or suite param ``voicebank_root``), the DataShare release::

    <root>/clean_testset_wav/<id>.wav   clean speech (48 kHz), e.g. p232_001.wav (824 files)
    <root>/noisy_testset_wav/<id>.wav   the same utterance with DEMAND noise added
    <root>/testset_txt/<id>.txt         optional transcript (needed only for WER)

VCTK (env VCTK_ROOT or suite param ``vctk_root``), the 0.80 release layout::

    <root>/wav48/<speaker>/<speaker>_<nnn>.wav    (param ``audio_pattern`` changes it, e.g.
                                                  "wav48_silence_trimmed/{speaker}/{utt}_mic1.flac")
    <root>/txt/<speaker>/<speaker>_<nnn>.txt      transcript
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suites import _paper_data as paper

VOICEBANK_ENV = "VOICEBANK_DEMAND_ROOT"
VOICEBANK_LAYOUT = ("<root>/clean_testset_wav/<id>.wav + <root>/noisy_testset_wav/<id>.wav "
                    "(+ optional <root>/testset_txt/<id>.txt)")
VCTK_ENV = "VCTK_ROOT"
VCTK_LAYOUT = "<root>/wav48/<speaker>/<speaker>_<nnn>.wav + <root>/txt/<speaker>/<speaker>_<nnn>.txt"


@dataclass(frozen=True)
class VoiceBankPair:
    id: str
    clean: Path
    noisy: Path
    text: str | None


def voicebank_pairs(root: Path) -> list[VoiceBankPair]:
    """Every id with both a clean and a noisy file, sorted. An id with only one of the two is an
    error naming it (a silently smaller test set would move every number)."""
    clean_dir, noisy_dir = root / "clean_testset_wav", root / "noisy_testset_wav"
    if not clean_dir.is_dir() or not noisy_dir.is_dir():
        raise paper.PaperDataMissing(f"VoiceBank-DEMAND: {clean_dir} or {noisy_dir} is missing; "
                                     f"expected {VOICEBANK_LAYOUT}")
    clean = {p.stem: p for p in clean_dir.glob("*.wav")}
    noisy = {p.stem: p for p in noisy_dir.glob("*.wav")}
    lonely = sorted(set(clean) ^ set(noisy))
    if lonely:
        raise ValueError(f"VoiceBank-DEMAND under {root}: {len(lonely)} ids have only a clean or only a noisy file "
                         f"(first: {lonely[:3]}); expected {VOICEBANK_LAYOUT}")
    if not clean:
        raise paper.PaperDataMissing(f"VoiceBank-DEMAND: no wavs in {clean_dir}; expected {VOICEBANK_LAYOUT}")
    out = []
    for k in sorted(clean):
        txt = root / "testset_txt" / f"{k}.txt"
        out.append(VoiceBankPair(k, clean[k], noisy[k], txt.read_text(encoding="utf-8").strip() if txt.is_file()
                                 else None))
    return out


@dataclass(frozen=True)
class VctkUtterance:
    id: str  # <speaker>_<nnn>
    speaker: str
    text: str
    path: Path


def vctk_utterances(root: Path, audio_pattern: str = "wav48/{speaker}/{utt}.wav",
                    speakers: list[str] | None = None) -> list[VctkUtterance]:
    """Utterances with both audio and transcript, sorted by id (optionally only ``speakers``)."""
    txt_root = root / "txt"
    if not txt_root.is_dir():
        raise paper.PaperDataMissing(f"VCTK: {txt_root} not found; expected {VCTK_LAYOUT}")
    out = []
    for spk_dir in sorted(p for p in txt_root.iterdir() if p.is_dir()):
        if speakers and spk_dir.name not in speakers:
            continue
        for txt in sorted(spk_dir.glob("*.txt")):
            wav = root / audio_pattern.format(speaker=spk_dir.name, utt=txt.stem)
            text = txt.read_text(encoding="utf-8").strip()
            if wav.is_file() and text:
                out.append(VctkUtterance(txt.stem, spk_dir.name, text, wav))
    if not out:
        raise paper.PaperDataMissing(f"VCTK: no utterance under {root} has both audio ({audio_pattern}) and a "
                                     f"transcript; expected {VCTK_LAYOUT}")
    return out


def root_of(params: dict[str, Any], key: str, env: str, layout: str, suite: str) -> Path:
    return paper.data_root(params, key, env, layout, suite)
