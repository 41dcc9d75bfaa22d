"""Speech with known speakers for the extraction and conversion suites, at each scale.

``data: offline`` (mini): one offline voice per distinct speaker saying the documented sentences
(suites/_sentences) plus the real recorded asterisk prompts (one speaker, 8 kHz telephone band).
Voice names that are the same person through another engine count as ONE speaker
(flite-slt and festival-slt are both CMU ARCTIC slt; flite-kal and festival-kal both kal), so "another
speaker" never means the same voice through a second synthesiser. ``data: paper``: VCTK speaker
folders (suites/_paper_speech). Audio is loaded lazily, as in suites/_pools.
"""
from __future__ import annotations

from functools import partial
from typing import Any

from suites import _paper_speech as ps
from suites._pools import SpeechSrc, asterisk_speech, file_wave, voice_wave
from suites._sentences import SENTENCES
from unison.core.sources.voices import VOICES

# one engine per person; the speaker id is the person, not the engine
MINI_VOICES = {"flite-slt": "arctic-slt", "flite-rms": "arctic-rms", "flite-awb": "arctic-awb",
               "festival-kal": "kal"}
SAME_PERSON = {"flite-slt": "arctic-slt", "festival-slt": "arctic-slt", "flite-rms": "arctic-rms",
               "flite-awb": "arctic-awb", "flite-kal": "kal", "festival-kal": "kal"}


def voice_utterances(voice: str) -> list[SpeechSrc]:
    v = VOICES[voice]
    return [SpeechSrc(id=f"{voice}-{k:02d}", text=text, lang="en", gender=v.gender, speaker=SAME_PERSON[voice],
                      load=partial(voice_wave, voice, text)) for k, text in enumerate(SENTENCES["en"])]


def speaker_pool(params: dict[str, Any], suite: str) -> list[SpeechSrc]:
    """English utterances with speaker ids, sorted by id."""
    data = params.get("data", "offline")
    if data == "offline":
        pool = [u for voice in MINI_VOICES for u in voice_utterances(voice)]
        if params.get("real_speech", True):
            pool += asterisk_speech()
        return sorted(pool, key=lambda s: s.id)
    if data == "paper":
        root = ps.root_of(params, "vctk_root", ps.VCTK_ENV, ps.VCTK_LAYOUT, suite)
        rows = ps.vctk_utterances(root, params.get("audio_pattern", "wav48/{speaker}/{utt}.wav"),
                                  params.get("speakers"))
        return [SpeechSrc(id=r.id, text=r.text, lang="en", gender=None, speaker=r.speaker,
                          load=partial(file_wave, r.path)) for r in rows]
    raise ValueError(f"suite {suite!r}: param data={data!r} must be 'offline' or 'paper'")


def by_speaker(pool: list[SpeechSrc]) -> dict[str, list[SpeechSrc]]:
    out: dict[str, list[SpeechSrc]] = {}
    for s in sorted(pool, key=lambda s: s.id):
        out.setdefault(s.speaker, []).append(s)
    return out


def voice_of(speaker: str) -> str | None:
    """The offline voice that speaks as ``speaker`` (mini), so a parallel utterance can be made."""
    return next((v for v, spk in MINI_VOICES.items() if spk == speaker), None)


def choose(rng, names: list[str]) -> str:
    """One of ``names`` (sorted first), seeded."""
    names = sorted(names)
    if not names:
        raise ValueError("no speaker to choose from")
    return names[int(rng.integers(len(names)))]
