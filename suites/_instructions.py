"""Instruction phrasings of the test sets: plain natural language, one template per task, in the
style of the training templates (docs/design.md §5: no phonemes; timed composition states the times in
the text). Keep them in one place so that a change is visible and versioned with the suites."""
from __future__ import annotations

from suites._pools import caption_phrase

SPEAKER = {"male": "A man", "female": "A woman", None: "Someone"}
SPEAKER_MID = {"male": "a man", "female": "a woman", None: "someone"}


def seconds_text(t: float) -> str:
    """1.0 -> '1', 2.5 -> '2.5' (times are built on a 0.1 s grid)."""
    return f"{t:.1f}".rstrip("0").rstrip(".")


def t2a(caption: str) -> str:
    return caption.strip()


def tts(text: str, gender: str | None = None) -> str:
    return f"{SPEAKER[gender]} says: {text}"


def zs_tts(text: str) -> str:
    return f"Continue in the voice of the reference speaker and say: {text}"


def t2as(caption: str, text: str, gender: str | None) -> str:
    return f"{caption.strip().rstrip('.')}, while {SPEAKER_MID[gender]} says: {text}"


def edit_add(event: str) -> str:
    return f"Add {caption_phrase(event)} to the audio."


def edit_remove(event: str) -> str:
    return f"Remove {caption_phrase(event)} from the audio."


def edit_replace(old: str, new: str) -> str:
    return f"Replace {caption_phrase(old)} with {caption_phrase(new)}."


def sis_insert(text: str, gender: str | None, start: float) -> str:
    return f"Insert speech starting at {seconds_text(start)} seconds: {SPEAKER_MID[gender]} says: {text}"


def sis_delete() -> str:
    return "Remove the speech and keep the background sound."


def sis_rewrite(text: str) -> str:
    return f"Keep the background and the voice, but change the spoken words to: {text}"


def timed(segments: list[dict]) -> str:
    parts = [f"{caption_phrase(s['caption'])} from {seconds_text(s['start'])} to {seconds_text(s['end'])} seconds"
             for s in segments]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


# The speech-processing suites (speech_enhancement, super_resolution, target_speaker_extraction,
# voice_conversion) and text_to_music. "Remove the noise" is the first of the trainer's own
# denoise templates (unison/data/templates.py), so a UNISON checkpoint sees a phrasing it knows.
def denoise() -> str:
    return "Remove the noise"


def super_resolution(cutoff_hz: float) -> str:
    return f"Restore the frequencies above {cutoff_hz / 1000:g} kHz of this band-limited recording."


def target_speaker_extraction() -> str:
    return "Extract the voice of the speaker in the reference clip and remove the other speaker."


def voice_conversion() -> str:
    return "Say the same words in the voice of the reference speaker."


def text_to_music(caption: str) -> str:
    return caption.strip()
