"""The offline ASR variant decodes in int8 (fast, and robust when the cores are shared): its WER on
real recorded English sentences equals the float32 decode of the same Whisper-base weights within
one word in a hundred, and their normalised transcripts agree on at least 90 % of the prompts."""
import gzip
import re
from pathlib import Path

import jiwer
import librosa
import numpy as np
import pytest

from bench.extractors import faster_whisper_base as fw

pytestmark = pytest.mark.conformance
SPEECH = Path("/usr/share/asterisk/sounds/en")  # Debian asterisk-core-sounds-en-wav
TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
WER_TOLERANCE = 0.01  # absolute: one word in a hundred


def _norm(text: str) -> str:  # seed-tts-eval's English rule: lowercase, punctuation but ' removed
    return " ".join(re.sub(r"[^\w' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def sentences():
    """Every 9th real prompt of 5-25 words (sentences, as TTS test sets have), at most 32."""
    texts = {}
    for line in gzip.open(TEXTS, "rt", encoding="utf-8", errors="replace"):
        if ":" in line and not line.startswith(";"):
            name, text = line.split(":", 1)
            texts[name.strip()] = text.strip()
    files = [f for f in sorted(SPEECH.glob("*.wav")) if f.stem in texts and 5 <= len(_norm(texts[f.stem]).split()) <= 25]
    files = files[::9][:32]
    assert len(files) >= 20
    return [librosa.load(str(f), sr=fw.SAMPLE_RATE)[0] for f in files], [_norm(texts[f.stem]) for f in files]


def test_int8_wer_equals_float32_on_real_sentences(sentences, record):
    waves, refs = sentences
    hyps = {}
    for ext in (fw.FasterWhisperBase(), fw.FasterWhisperBaseInt8()):
        if ext.available():
            pytest.skip(ext.available())
        hyps[ext.compute_type] = [_norm(h["text"]) for h in ext.extract(waves, ["en"] * len(waves))]
    utt = {ct: float(np.mean([jiwer.wer(r, h) for r, h in zip(refs, hs)])) for ct, hs in hyps.items()}
    corpus = {ct: jiwer.wer(refs, hs) for ct, hs in hyps.items()}
    same = np.mean([a == b for a, b in zip(hyps["float32"], hyps["int8"])])
    assert same >= 0.9, list(zip(hyps["float32"], hyps["int8"]))
    diff = max(abs(utt["int8"] - utt["float32"]), abs(corpus["int8"] - corpus["float32"]))
    record("faster-whisper-base int8 vs float32", "CTranslate2 float32 decode, same weights",
           f"WER on {len(refs)} real sentences (float32 {utt['float32']:.4f}, int8 {utt['int8']:.4f}); "
           f"{same:.0%} identical transcripts", diff, tolerance=WER_TOLERANCE)
