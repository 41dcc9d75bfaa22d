import numpy as np
import pytest

from unison.core.audio import read_mono
from unison.core.sources.sounds import tuxpaint_sounds
from unison.core.sources.speech import asterisk_prompts, librivox_utterances
from unison.core.sources.voices import VOICES, voices


def test_sound_library_is_real_and_captioned():
    clips = tuxpaint_sounds()
    assert len(clips) >= 100
    assert len({c.id for c in clips}) == len(clips)
    assert all(c.caption_en and not c.caption_en.endswith(".") for c in clips)
    assert sum(c.caption_zh is not None for c in clips) >= 0.9 * len(clips)
    frog = next(c for c in clips if c.id.endswith("/frog"))
    assert frog.caption_en == "A frog" and frog.caption_zh == "青蛙"
    wave, _ = read_mono(frog.path, 16000)
    assert wave.dtype == np.float32 and wave.size > 1600 and np.abs(wave).max() > 0.01


def test_real_speech_has_transcripts():
    prompts = asterisk_prompts()
    assert len(prompts) > 300
    p = next(c for c in prompts if c.id == "asterisk/agent-loginok")
    assert p.transcript == "Agent logged in."
    assert len(librivox_utterances()) == 5


def test_voice_table_is_balanced():
    for lang in ("en", "zh"):
        assert voices(lang, "male") and voices(lang, "female")


@pytest.mark.parametrize("name", ["flite-slt", "flite-rms", "espeak-zh-f", "piper-joe", "hibari-heart"])
def test_voice_synthesizes_deterministically(name):
    voice = VOICES[name]
    text = "The cat sat on the mat." if voice.lang == "en" else "今天天气很好。"
    a, sr = voice.synthesize(text)
    b, _ = voice.synthesize(text)
    assert sr >= 8000 and a.dtype == np.float32
    assert 0.5 < a.size / sr < 6.0 and np.abs(a).max() > 0.05
    np.testing.assert_array_equal(a, b)


def test_empty_text_is_refused():
    with pytest.raises(ValueError, match="empty text"):
        VOICES["flite-slt"].synthesize("  ")
