"""Real recorded English speech with transcripts, from Debian packages:
asterisk-core-sounds-en(-wav) (one female voice, 8 kHz telephone prompts) and
pocketsphinx-testdata (LibriVox utterances)."""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

ASTERISK_WAVS = Path("/usr/share/asterisk/sounds/en")
ASTERISK_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


@dataclass(frozen=True)
class SpeechClip:
    id: str
    path: Path
    transcript: str
    lang: str
    speaker: str
    gender: str | None
    source: str
    licence: str


def asterisk_prompts() -> list[SpeechClip]:
    """Prompts whose WAV exists and whose transcript is plain words (sorted by id)."""
    if not ASTERISK_TRANSCRIPTS.is_file() or not ASTERISK_WAVS.is_dir():
        raise FileNotFoundError(
            "asterisk prompts not found: apt-get install asterisk-core-sounds-en asterisk-core-sounds-en-wav"
        )
    out = []
    with gzip.open(ASTERISK_TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^([\w-]+): (.+)$", line.strip())
            if not m:
                continue
            name, text = m.groups()
            wav = ASTERISK_WAVS / f"{name}.wav"
            if wav.is_file() and not re.search(r"[\[\]<>{}]", text):
                out.append(SpeechClip(id=f"asterisk/{name}", path=wav, transcript=text.strip(), lang="en",
                                      speaker="asterisk-allison", gender="female", source="asterisk-core-sounds-en",
                                      licence="CC-BY-SA-3.0 (Asterisk core sounds)"))
    return sorted(out, key=lambda c: c.id)


def librivox_utterances() -> list[SpeechClip]:
    """LibriVox 'Sense and Sensibility' utterances shipped with pocketsphinx's test data."""
    trans = LIBRIVOX / "transcription"
    if not trans.is_file():
        raise FileNotFoundError("pocketsphinx test data not found: apt-get install pocketsphinx-testdata")
    out = []
    for line in trans.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(.*)\((\S+)\)\s*$", line.strip())
        if not m:
            continue
        text, utt = m.groups()
        text = re.sub(r"</?s>", "", text).strip()
        wav = LIBRIVOX / f"{utt}.wav"
        if wav.is_file() and text:
            out.append(SpeechClip(id=f"librivox/{utt}", path=wav, transcript=text.lower(), lang="en",
                                  speaker="librivox-austen-01", gender=None, source="pocketsphinx-testdata",
                                  licence="public domain (LibriVox)"))
    return sorted(out, key=lambda c: c.id)
