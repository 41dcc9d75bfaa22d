"""Where the composing builders get their sounds and speech, at each scale.

``data: offline`` (mini): real recorded sound effects (tuxpaint stamps, EN captions) and speech from
the offline TTS voices (documented sentence lists, gender known) plus real recorded asterisk prompts.
``data: paper``: AudioCaps test clips and Seed-TTS eval ground-truth recordings (suites/_paper_data).
Audio is loaded lazily: listing a pool costs nothing, only the chosen clips are decoded/synthesised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Callable

import numpy as np

from suites import _paper_data as paper
from suites._sentences import SENTENCES
from unison.core.audio import read_mono, resample
from unison.core.sources.sounds import tuxpaint_sounds
from unison.core.sources.speech import asterisk_prompts
from unison.core.sources.voices import VOICES

# Fast, deterministic voices (flite/festival/espeak: ~0.1-0.8 s per sentence). piper/hibari are
# slower to load and are left to the TTS baselines.
OFFLINE_VOICES = {"en": ("flite-slt", "flite-rms", "flite-awb", "festival-kal", "festival-slt"),
                  "zh": ("espeak-zh-f", "espeak-zh-m")}
# Stamp sounds that contain spoken words (dreidel letters, radio speech): not usable as non-speech
# scenes or events (see bench/metrics/removal.py calibration).
SPEECHY_CATEGORIES = ("seasonal/hanukkah", "space")
MIN_SOUND_SECONDS = 0.5


@dataclass(frozen=True)
class SoundSrc:
    id: str
    caption: str  # English caption (AudioCaps caption / stamp label)
    load: Callable[[int], np.ndarray]  # sample rate -> mono float64
    meta: dict[str, Any] = field(default_factory=dict)  # AudioCaps: youtube_id, audiocap_id, start_time


@dataclass(frozen=True)
class SpeechSrc:
    id: str
    text: str
    lang: str
    gender: str | None
    speaker: str
    load: Callable[[int], np.ndarray]


@lru_cache(maxsize=None)
def _usable_sound(path: str) -> bool:
    """Long enough and not silent (a few stamps - animals that make no sound - ship silent files)."""
    import soundfile as sf

    wave, sr = sf.read(path, dtype="float32", always_2d=True)
    return wave.shape[0] / sr >= MIN_SOUND_SECONDS and float(np.max(np.abs(wave))) > 1e-3


@lru_cache(maxsize=256)
def _synth(voice: str, text: str) -> tuple[np.ndarray, int]:
    wave, sr = VOICES[voice].synthesize(text)
    return wave, sr


def voice_wave(voice: str, text: str, sr: int) -> np.ndarray:
    """One voice saying ``text`` at ``sr`` (cached per build: voices are deterministic)."""
    wave, native = _synth(voice, text)
    return np.asarray(resample(wave, native, sr), dtype=np.float64)


def file_wave(path, sr: int) -> np.ndarray:
    """A recorded clip as mono float64 at ``sr`` (the builders compose in float64)."""
    return read_mono(path, sr)[0].astype(np.float64)


def caption_phrase(caption: str) -> str:
    """'A brown hen' -> 'a brown hen' (mid-sentence form), keeping proper nouns' capitals."""
    caption = caption.strip().rstrip(".")
    return caption if caption[1:2].isupper() else caption[:1].lower() + caption[1:]


def sound_pool(params: dict[str, Any], suite: str) -> list[SoundSrc]:
    data = params.get("data", "offline")
    if data == "offline":
        out = []
        for c in tuxpaint_sounds():
            if c.category.startswith(SPEECHY_CATEGORIES) or not _usable_sound(str(c.path)):
                continue
            out.append(SoundSrc(id=c.id, caption=c.caption_en,
                                load=partial(file_wave, c.path)))
        return out
    if data == "paper":
        root = paper.data_root(params, "audiocaps_root", paper.AUDIOCAPS_ENV, paper.AUDIOCAPS_LAYOUT, suite)
        clips = paper.audiocaps_test(root, params.get("audio_pattern", "test/{youtube_id}.wav"))
        return [SoundSrc(id=c.id, caption=c.caption, load=partial(file_wave, c.path),
                         meta={"youtube_id": c.id, "audiocap_id": c.audiocap_id, "start_time": c.start_time})
                for c in clips]
    raise ValueError(f"suite {suite!r}: param data={data!r} must be 'offline' or 'paper'")


def offline_voice_speech(lang: str) -> list[SpeechSrc]:
    """Every (voice, sentence) pair of a language; gender from the voice."""
    out = []
    for vname in OFFLINE_VOICES[lang]:
        v = VOICES[vname]
        for k, text in enumerate(SENTENCES[lang]):
            out.append(SpeechSrc(id=f"{vname}-{k:02d}", text=text, lang=lang, gender=v.gender, speaker=vname,
                                 load=lambda sr, vn=vname, t=text: voice_wave(vn, t, sr)))
    return out


def asterisk_speech(min_words: int = 4, max_words: int = 12) -> list[SpeechSrc]:
    """Real recorded English prompts (one female speaker) of a sentence-like length."""
    return [SpeechSrc(id=c.id.replace("/", "-"), text=c.transcript, lang="en", gender="female", speaker=c.speaker,
                      load=partial(file_wave, c.path))
            for c in asterisk_prompts() if min_words <= len(c.transcript.split()) <= max_words]


def speech_pool(params: dict[str, Any], suite: str, lang: str) -> list[SpeechSrc]:
    data = params.get("data", "offline")
    if data == "offline":
        pool = offline_voice_speech(lang)
        if lang == "en" and params.get("real_speech", True):
            pool += asterisk_speech()
        return pool
    if data == "paper":
        root = paper.data_root(params, "seedtts_root", paper.SEEDTTS_ENV, paper.SEEDTTS_LAYOUT, suite)
        rows = [r for r in paper.seedtts_rows(root, lang) if r.target_wav is not None]
        if not rows:
            raise paper.PaperDataMissing(f"suite {suite!r}: no ground-truth wavs under {root / lang / 'wavs'}; "
                                         f"expected {paper.SEEDTTS_LAYOUT}")
        return [SpeechSrc(id=r.utt, text=r.target_text, lang=lang, gender=None, speaker=r.utt,
                          load=partial(file_wave, r.target_wav)) for r in rows]
    raise ValueError(f"suite {suite!r}: param data={data!r} must be 'offline' or 'paper'")


def pick(rng: np.random.Generator, pool: list, n: int, what: str) -> list:
    """``n`` distinct entries in a seeded random order (the pool is sorted by id first)."""
    if len(pool) < n:
        raise ValueError(f"need {n} {what} but only {len(pool)} are available")
    pool = sorted(pool, key=lambda s: s.id)
    return [pool[i] for i in rng.permutation(len(pool))[:n]]
