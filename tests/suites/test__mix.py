import numpy as np
import pytest

from suites import _mix
from unison.core.signal import db, fade_raised_cosine, fit_length, rms


def test_grid_sums_are_exact_pcm16():
    rng = np.random.default_rng(1)
    a, b = _mix.on_pcm16_grid(0.3 * rng.standard_normal(1000)), _mix.on_pcm16_grid(0.3 * rng.standard_normal(1000))
    ia, ib = np.round(a * 32767).astype(int), np.round(b * 32767).astype(int)
    assert np.array_equal(np.round((a + b) * 32767).astype(int), ia + ib)


def test_loop_faded_and_fill_scene():
    x = np.ones(100)
    looped = _mix.loop_faded(x, 1000, 1000)
    assert looped.size == 1000 and looped[0] == 0 and looped[100:350].sum() == 0  # faded copy, 0.25 s gap
    assert np.array_equal(_mix.fill_scene(x, 1000, 1000, "loop"), looped)
    assert np.array_equal(_mix.fill_scene(x, 150, 1000, "pad"), fit_length(fade_raised_cosine(x, 1000), 150))


def test_headroom_gain_and_floor():
    assert _mix.headroom_gain([np.array([0.5, -2.0])], peak=0.8) == pytest.approx(0.4)
    assert _mix.headroom_gain([np.array([0.1])]) == 1.0
    fl = _mix.noise_floor(16000, np.random.default_rng(0))
    assert db(rms(fl)) == pytest.approx(-80.0, abs=0.2)
    assert np.count_nonzero(_mix.on_pcm16_grid(fl)) > 0.5 * fl.size  # survives PCM_16
