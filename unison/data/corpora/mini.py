"""The offline mini corpus: real sounds, voice-synthesized EN/ZH speech and real recorded speech,
resampled to one rate and written as PCM_16 WAV with a manifest. Deterministic: the same
(sample_rate, seed) gives byte-identical files and manifest.

Contents (all offline, see unison.core.sources):
- sound: every tuxpaint stamp sound, caption in English with the Chinese label in ``captions``;
- speech (voices): each fixed sentence of sentences.py read by one male and one female voice of its
  language (which voice reads which sentence is a seeded assignment), gender and speaker = voice;
- speech (recorded): asterisk prompts (female, telephone band) and LibriVox utterances (gender unknown).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from unison.core.audio import read_mono, resample
from unison.core.files import atomic_path
from unison.core.sources.sounds import tuxpaint_sounds
from unison.core.sources.speech import asterisk_prompts, librivox_utterances
from unison.core.sources.voices import Voice, VoiceUnavailableError, voices
from unison.data.corpora.sentences import CHINESE, ENGLISH
from unison.data.manifests import ManifestRow, ValidationRules, validate_rows, write_manifest

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"


def _write_wav(path: Path, wave: np.ndarray, sample_rate: int) -> None:
    """PCM_16 WAV (libsndfile's quantisation), written atomically; clipped to [-1, 1] first."""
    with atomic_path(path) as tmp:
        sf.write(str(tmp), np.clip(wave, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")


def _duration(samples: int, sample_rate: int) -> float:
    return round(samples / sample_rate, 4)


def _available(candidates: list[Voice]) -> list[Voice]:
    """Voices whose engine works here; a missing engine is logged and left out."""
    ok = []
    for v in candidates:
        try:
            v.synthesize("a" if v.lang == "en" else "啊")
            ok.append(v)
        except (VoiceUnavailableError, RuntimeError) as exc:
            log.warning("mini corpus: voice %s left out: %s", v.name, exc)
    return ok


def voice_assignment(sentences: tuple[str, ...], lang: str, seed: int) -> list[tuple[int, Voice]]:
    """(sentence index, voice) pairs: every sentence once by a male and once by a female voice of
    ``lang``, voices taken round-robin over a seeded shuffle of the sentences."""
    rng = np.random.default_rng([seed, 0 if lang == "en" else 1])
    pairs = []
    for gender in ("male", "female"):
        vs = _available(voices(lang, gender))
        if not vs:
            raise VoiceUnavailableError(f"mini corpus needs at least one {gender} {lang} voice; none works here "
                                        "(see the warnings above for how to install them)")
        order = rng.permutation(len(sentences))
        pairs += [(int(i), vs[k % len(vs)]) for k, i in enumerate(order)]
    return sorted(pairs, key=lambda p: (p[1].name, p[0]))


def _speech_rows(out: Path, sample_rate: int, seed: int, limit: int | None) -> list[ManifestRow]:
    rows = []
    for lang, sentences in (("en", ENGLISH), ("zh", CHINESE)):
        pairs = voice_assignment(sentences[:limit] if limit else sentences, lang, seed)
        for i, voice in pairs:
            wave, sr = voice.synthesize(sentences[i])
            wave = resample(wave, sr, sample_rate)  # float32, as the voice returns it
            rel = f"speech/{voice.name}/{lang}{i:03d}.wav"
            _write_wav(out / rel, wave, sample_rate)
            rows.append(ManifestRow(id=f"voice/{voice.name}/{lang}{i:03d}", path=rel,
                                    duration=_duration(wave.size, sample_rate), kind="speech", text=sentences[i],
                                    language=lang, speaker=f"voice/{voice.name}", gender=voice.gender,
                                    source=f"voice:{voice.engine}"))
    for clip in asterisk_prompts()[:limit] + librivox_utterances()[:limit]:
        wave = read_mono(clip.path, sample_rate)[0]
        rel = f"{clip.id}.wav"
        _write_wav(out / rel, wave, sample_rate)
        rows.append(ManifestRow(id=clip.id, path=rel, duration=_duration(wave.size, sample_rate), kind="speech",
                                text=" ".join(clip.transcript.split()), language=clip.lang, speaker=clip.speaker, gender=clip.gender,
                                source=clip.source))
    return rows


def _sound_rows(out: Path, sample_rate: int, limit: int | None) -> list[ManifestRow]:
    rows = []
    for clip in tuxpaint_sounds()[:limit]:
        wave = read_mono(clip.path, sample_rate)[0]
        rel = f"sound/{clip.id}.wav"
        _write_wav(out / rel, wave, sample_rate)
        rows.append(ManifestRow(id=f"tuxpaint/{clip.id}", path=rel, duration=_duration(wave.size, sample_rate),
                                kind="sound", text=clip.caption_en, language="en", source="tuxpaint",
                                captions={"zh": clip.caption_zh} if clip.caption_zh else {}))
    return rows


def build_mini_corpus(out_dir: str | Path, sample_rate: int = 22050, seed: int = 0,
                      limit: int | None = None) -> Path:
    """Build the offline mini corpus in ``out_dir``; returns the manifest path. ``limit`` keeps only
    the first N items of each source (smoke runs and tests). Rows that fail validation (e.g. a
    silent clip) are left out of the manifest with a logged reason."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = _sound_rows(out, sample_rate, limit) + _speech_rows(out, sample_rate, seed, limit)
    rows, _ = validate_rows(rows, out, ValidationRules(sample_rate=sample_rate), name="mini corpus")
    rows.sort(key=lambda r: r.id)
    path = write_manifest(out / MANIFEST_NAME, rows)
    hours = sum(r.duration for r in rows) / 3600
    log.info("mini corpus: %d rows (%.2f h) in %s, built in %.1f s", len(rows), hours, out, time.perf_counter() - t0)
    return path

