import shutil

import numpy as np
import pytest

from bench.item import Item
from bench.registry import RegistryError, create_system
from bench.systems.voices import GENDER_VOICES, GenderVoicesSystem, VoiceSystem

needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="Debian flite not installed")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="Debian espeak-ng not installed")


def _item(i, lang="en", gender="female", task="tts", text="The quick brown fox jumps over the dog.", seconds=2.5):
    return Item(id=f"v{i}", task=task, instruction=f"Someone says: {text}", seconds=seconds, seed=0, text=text,
                lang=lang, gender=gender)


@needs_flite
def test_fixed_voice_is_finite_fitted_and_named_by_colon():
    s = create_system("voice:flite-slt")
    assert isinstance(s, VoiceSystem) and s.name == "voice:flite-slt"
    short, long_ = _item(0, seconds=4.0), _item(1, seconds=0.7)
    outs = s.generate([short, long_], None)
    for it, g in zip((short, long_), outs):
        assert g.wave.shape == (round(it.seconds * g.sample_rate),) and np.isfinite(g.wave).all()
    assert np.abs(outs[0].wave).max() > 0.05
    assert np.abs(outs[0].wave[-g.sample_rate // 2:]).max() == 0.0  # padded with zeros at the end
    sig = s.signature()
    assert sig["gender"] == "female" and sig["lang"] == "en" and "ignored" in sig["zero_shot"]
    # deterministic: same text, same samples
    assert np.array_equal(s.generate([short], None)[0].wave, outs[0].wave)


@needs_flite
def test_fixed_voice_refuses_other_language_and_missing_text():
    s = VoiceSystem("flite-rms")
    with pytest.raises(ValueError, match="speaks 'en' but item 'v0' is 'zh'"):
        s.generate([_item(0, lang="zh")], None)
    with pytest.raises(ValueError, match="no text"):
        s.generate([Item(id="x", task="tts", instruction="A man says:", seconds=1.0, seed=0, lang="en")], None)


def test_unknown_or_missing_voice_is_a_clear_error():
    with pytest.raises(ValueError, match="known voices"):
        VoiceSystem("flite-nobody")
    with pytest.raises(ValueError, match="voice:<name>"):
        VoiceSystem()
    with pytest.raises(RegistryError, match="nothing after ':'"):
        create_system("voice:")


@needs_flite
@needs_espeak
def test_gender_voices_pick_by_lang_and_gender_and_take_zero_shot_items():
    s = create_system("voices-gender")
    items = [_item(0, "en", "male"), _item(1, "zh", "female", text="今天天气很好。"),
             _item(2, "en", None, task="zs_tts")]
    outs = s.generate(items, None)
    for it, g in zip(items, outs):
        assert g.wave.shape == (round(it.seconds * g.sample_rate),) and np.isfinite(g.wave).all()
        assert np.abs(g.wave).max() > 0.05
    male = VoiceSystem(GENDER_VOICES[("en", "male")]).generate([items[0]], None)[0]
    assert np.array_equal(outs[0].wave, male.wave)
    female = VoiceSystem(GENDER_VOICES[("en", "female")]).generate([items[2]], None)[0]
    assert np.array_equal(outs[2].wave, female.wave)  # no gender -> the documented default (female)
    assert s.signature()["missing_gender"] == "female"
    assert GenderVoicesSystem().supports("zs_tts") and not GenderVoicesSystem().supports("t2a")
