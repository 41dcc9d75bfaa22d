"""The offline TTS voices (unison.core.sources.voices) as TTS baseline systems.

``voice:<name>`` (e.g. ``voice:flite-slt``) always speaks with that one voice: its gender and
language are fixed, so items of the other language fail with a clear error, and items asking for
the other gender are still spoken by this voice (gender accuracy measures exactly that).
``voices-gender`` picks, per item, the voice of ``GENDER_VOICES[(item.lang, item.gender)]``; an
item without a gender gets the language's ``DEFAULT_GENDER`` voice (recorded in the signature).

Zero-shot TTS items are spoken in the voice's OWN timbre: these baselines ignore the speaker
prompt, so their SIM is a floor, not a cloning result. The words come from ``item.text`` (the
instruction minus its "A man says:" frame). Output: the voice's native rate, cropped or
zero-padded at the end to ``item.seconds``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.item import Item
from bench.systems.base import Generated, System
from unison.core.signal import fit_length

SPEECH_TASKS = ("tts", "zs_tts")
FIT_RULE = "speech from sample 0; cropped or zero-padded at the end to round(item.seconds * sr)"
ZS_NOTE = "zero-shot items: the voice's own timbre, the speaker prompt is ignored (a SIM floor, not cloning)"
# fast, deterministic engines first (flite / espeak: ~0.1 s per sentence on CPU)
GENDER_VOICES = {("en", "female"): "flite-slt", ("en", "male"): "flite-rms",
                 ("zh", "female"): "espeak-zh-f", ("zh", "male"): "espeak-zh-m"}
DEFAULT_GENDER = "female"  # items without item.gender (e.g. zero-shot rows of unknown speakers)


def _catalog():
    from unison.core.sources.voices import VOICES

    return VOICES


def item_words(item: Item) -> str:
    if not item.text or not item.text.strip():
        raise ValueError(f"item {item.id!r} has no text to speak (item.text is empty)")
    return item.text.strip()


def speak(voice_name: str, item: Item) -> Generated:
    voice = _catalog()[voice_name]
    if item.lang is not None and item.lang != voice.lang:
        raise ValueError(f"voice {voice.name} speaks {voice.lang!r} but item {item.id!r} is {item.lang!r}; "
                         f"use a {item.lang} voice or the voices-gender system")
    wave, sr = voice.synthesize(item_words(item))
    return Generated(wave=fit_length(wave, item.samples(sr)), sample_rate=int(sr))


def voice_signature(voice_name: str) -> dict[str, Any]:
    v = _catalog()[voice_name]
    return {"voice": v.name, "engine": v.engine, "engine_voice": v.engine_voice, "extra": list(v.extra),
            "lang": v.lang, "gender": v.gender, "licence": v.licence}


class VoiceSystem(System):
    """One fixed voice: ``voice:<name>`` on the command line."""

    tasks = SPEECH_TASKS
    batch_size = 1

    def __init__(self, voice: str | None = None):
        voices = _catalog()
        if voice is None:
            raise ValueError(f"system 'voice' needs a voice name: use voice:<name>, one of {sorted(voices)}")
        if voice not in voices:
            raise ValueError(f"unknown voice {voice!r}; known voices: {sorted(voices)}")
        self.voice = voice
        self.name = f"voice:{voice}"

    def signature(self) -> dict[str, Any]:
        return {"system": "voice", "version": "1", **voice_signature(self.voice), "text": "item.text",
                "fit": FIT_RULE, "zero_shot": ZS_NOTE}

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        return [speak(self.voice, it) for it in items]


def gender_voice(item: Item) -> str:
    lang = item.lang or "en"
    gender = item.gender or DEFAULT_GENDER
    key = (lang, gender)
    if key not in GENDER_VOICES:
        raise ValueError(f"item {item.id!r}: no voice for lang={lang!r} gender={gender!r}; "
                         f"voices-gender covers {sorted(GENDER_VOICES)}")
    return GENDER_VOICES[key]


class GenderVoicesSystem(System):
    """Per item, the voice matching item.lang and item.gender (see GENDER_VOICES)."""

    name = "voices-gender"
    tasks = SPEECH_TASKS
    batch_size = 1

    def signature(self) -> dict[str, Any]:
        return {"system": "voices-gender", "version": "1",
                "voices": {f"{lang}-{g}": voice_signature(v) for (lang, g), v in sorted(GENDER_VOICES.items())},
                "missing_gender": DEFAULT_GENDER, "missing_lang": "en", "text": "item.text", "fit": FIT_RULE,
                "zero_shot": ZS_NOTE}

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        return [speak(gender_voice(it), it) for it in items]
