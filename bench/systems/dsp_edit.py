"""Signal-processing editing baselines (``dsp-edit``) for the editing and speech-in-scene suites.

Every output is the item's source (read at its own rate) plus or minus other signals, cropped or
zero-padded at the end to item.seconds and peak-limited to 0.99 (scaled down, never up):
  edit_add      source + the event retrieved for the instruction's caption ("Add <event> to ...")
                by the caption-retrieval baseline (leave-one-out), at most 3 s, 10 ms fades,
                scaled to EVENT_SNR_DB over the source (RMS of the event's own samples vs RMS of the
                whole source), centred in the clip.
  edit_remove   source - the known event stem, when item.meta["stems"]["event"] names it. This is
                ORACLE-INFORMED (the stem is ground truth the test set kept), an upper bound for
                subtraction, not a blind method. Without a stem the source is returned unchanged and
                the reason is recorded in the item's info.
  edit_replace  remove (as above) + add the retrieved new event ("Replace <old> with <new>") at the
                old event's offset (item.meta["event_offset"]) when known, else centred.
  sis_insert    source + a TTS voice (voices-gender rule: item.lang and item.gender) reading
                item.text at the offset stated in the instruction ("starting at <t> seconds"), at
                SPEECH_SNR_DB over the scene.
  sis_delete    source - the known speech stem (item.meta["stems"]["speech"]): oracle-informed as
                edit_remove, unchanged source with a recorded reason otherwise.
  sis_rewrite   sis_delete, then the voice reading item.text at item.meta["speech_start"] (the old
                speech's start, oracle-informed) or DEFAULT_SPEECH_START, at SPEECH_SNR_DB.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from bench.item import Item
from bench.systems.base import Generated, System
from unison.core.audio import read_mono, resample
from unison.core.signal import fade_linear, fit_length, peak_limit, place, scale_over

EVENT_SNR_DB = 0.0  # the editing suite builds its events at 0 dB over the background
SPEECH_SNR_DB = 5.0  # the speech_in_scene suite puts speech at +5 dB over the scene
MAX_EVENT_SECONDS = 3.0
DEFAULT_SPEECH_START = 0.3  # seconds, when neither the instruction nor the meta states a start
PEAK = 0.99

_ADD = re.compile(r"^\s*add\s+(?P<event>.+?)(?:\s+to the (?:audio|scene|recording))?\s*\.?\s*$", re.I)
_REPLACE = re.compile(r"^\s*replace\s+(?P<old>.+?)\s+with\s+(?P<new>.+?)\s*\.?\s*$", re.I)
_START = re.compile(r"starting at (?P<t>\d+(?:\.\d+)?) seconds", re.I)


def event_query(item: Item) -> str:
    """The caption of the event to add: parsed from the instruction, else the whole instruction."""
    m = (_REPLACE if item.task == "edit_replace" else _ADD).match(item.instruction)
    if m is None:
        return item.instruction
    return m.group("new") if item.task == "edit_replace" else m.group("event")


def added(wave: np.ndarray, x: np.ndarray, offset: int) -> np.ndarray:
    """``wave`` plus ``x`` starting at sample ``offset``; a start at or past the end adds nothing
    (an instruction may state a time beyond the clip)."""
    offset = max(0, offset)
    return wave + place(x, wave.shape[0], offset) if offset < wave.shape[0] else wave


def speech_start(item: Item) -> tuple[float, str]:
    m = _START.search(item.instruction)
    if m is not None:
        return float(m.group("t")), "instruction"
    if "speech_start" in item.meta:
        return float(item.meta["speech_start"]), "item.meta speech_start (oracle-informed)"
    return DEFAULT_SPEECH_START, "default"


class DspEditSystem(System):
    name = "dsp-edit"
    tasks = ("edit_add", "edit_remove", "edit_replace", "sis_insert", "sis_delete", "sis_rewrite")
    batch_size = 4

    def __init__(self, library: str = "tuxpaint", embedder_path: str | None = None,
                 event_snr_db: float | str = EVENT_SNR_DB, speech_snr_db: float | str = SPEECH_SNR_DB):
        self.library, self.embedder_path = library, embedder_path
        self.event_snr_db, self.speech_snr_db = float(event_snr_db), float(speech_snr_db)
        self._retriever = None

    @property
    def retriever(self):
        if self._retriever is None:
            from bench.systems.retrieval import CaptionRetriever, MiniLMEmbedder

            self._retriever = CaptionRetriever(self.library, MiniLMEmbedder(self.embedder_path))
        return self._retriever

    def signature(self) -> dict[str, Any]:
        from bench.systems.voices import GENDER_VOICES, voice_signature

        return {"system": "dsp-edit", "version": "1", "event_snr_db": self.event_snr_db,
                "speech_snr_db": self.speech_snr_db, "max_event_seconds": MAX_EVENT_SECONDS,
                "event_position": "centred; replace: at item.meta event_offset when known",
                "remove": "source minus item.meta stems (oracle-informed); unchanged source when unknown",
                "speech_start": f"instruction 'starting at <t> seconds', else item.meta speech_start, else "
                                f"{DEFAULT_SPEECH_START} s", "peak_limit": PEAK, "retrieval": self.retriever.signature(),
                "voices": {f"{lang}-{g}": voice_signature(v) for (lang, g), v in sorted(GENDER_VOICES.items())},
                "fit": "source rate; crop or zero-pad at the end to item.seconds"}

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        return [self._one(it, Path(root)) for it in items]

    # -- pieces
    def _subtract_stem(self, item: Item, root: Path, wave: np.ndarray, sr: int, stem: str,
                       info: dict[str, Any]) -> np.ndarray:
        rel = (item.meta.get("stems") or {}).get(stem)
        if rel is None:
            info["unchanged"] = (f"no known '{stem}' stem in item.meta['stems']: a blind DSP removal is not "
                                 "attempted, the source is returned unchanged")
            return wave
        known, _ = read_mono(root / rel, sr)
        info["subtracted"] = f"item.meta stems.{stem} (oracle-informed)"
        return wave - fit_length(known, wave.shape[0])

    def _add_event(self, item: Item, wave: np.ndarray, sr: int, info: dict[str, Any],
                   offset_s: float | None = None) -> np.ndarray:
        query = event_query(item)
        clip, score = self.retriever.retrieve(query, self.retriever.excluded(item))
        event = fade_linear(self.retriever.load(clip, sr)[: int(MAX_EVENT_SECONDS * sr)], sr)
        event = scale_over(wave, event, self.event_snr_db)
        offset = int(round(offset_s * sr)) if offset_s is not None else max(0, (wave.shape[0] - event.shape[0]) // 2)
        info.update(query=query, retrieved=clip.id, score=round(score, 6), event_offset=round(offset / sr, 4))
        return added(wave, event, offset)

    def _add_speech(self, item: Item, wave: np.ndarray, sr: int, info: dict[str, Any]) -> np.ndarray:
        from bench.systems.voices import gender_voice, item_words
        from unison.core.sources.voices import VOICES

        voice = gender_voice(item)
        speech, native = VOICES[voice].synthesize(item_words(item))
        speech = scale_over(wave, fade_linear(resample(speech, native, sr), sr), self.speech_snr_db)
        start, why = speech_start(item)
        info.update(voice=voice, speech_start=start, speech_start_from=why)
        return added(wave, speech, int(round(start * sr)))

    def _one(self, item: Item, root: Path) -> Generated:
        if item.source is None:
            raise ValueError(f"item {item.id!r} ({item.task}) has no source audio to edit")
        src, sr = read_mono(root / item.source)
        wave = fit_length(src, item.samples(sr)).astype(np.float64)
        info: dict[str, Any] = {}
        task = item.task
        if task == "edit_add":
            wave = self._add_event(item, wave, sr, info)
        elif task == "edit_remove":
            wave = self._subtract_stem(item, root, wave, sr, "event", info)
        elif task == "edit_replace":
            wave = self._subtract_stem(item, root, wave, sr, "event", info)
            wave = self._add_event(item, wave, sr, info, item.meta.get("event_offset"))
        elif task == "sis_insert":
            wave = self._add_speech(item, wave, sr, info)
        elif task == "sis_delete":
            wave = self._subtract_stem(item, root, wave, sr, "speech", info)
        elif task == "sis_rewrite":
            wave = self._subtract_stem(item, root, wave, sr, "speech", info)
            wave = self._add_speech(item, wave, sr, info)
        else:
            raise ValueError(f"dsp-edit does not do task {item.task!r}; it does {list(self.tasks)}")
        return Generated(peak_limit(np.asarray(wave, dtype=np.float32), PEAK), sr, info)
