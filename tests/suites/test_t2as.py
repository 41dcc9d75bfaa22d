import numpy as np
import pytest

from suite_helpers import assert_common, assert_deterministic, pcm
from unison.core.signal import db, rms

SUITE = "t2as"


def test_mini_mixture_is_speech_plus_sound_at_0db(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    assert {it.subset for it in ts.items} == {"en", "zh"}
    for it in ts.items:
        speech, sound = pcm(ts, it.meta["speech_stem"]), pcm(ts, it.meta["sound_stem"])
        floor = pcm(ts, it.meta["speech_stem"].replace("-speech.wav", "-floor.wav"))
        assert np.array_equal(pcm(ts, it.target), speech + sound + floor)  # exact, sample for sample
        assert db(rms(speech) / rms(sound)) == pytest.approx(0.0, abs=0.01)
        assert it.text and it.lang == it.subset and it.caption
        assert it.text in it.instruction
        start = int(round(it.meta["speech_offset"] * 16000))
        assert np.all(speech[:start] == 0) and np.any(speech[start:start + 1600] != 0)
