import numpy as np
import pytest

from suites import _mix


def test_normalize_rms_and_silence_error():
    x = np.sin(np.linspace(0, 100, 16000))
    y = _mix.normalize_rms(x, -20.0)
    assert _mix.db(_mix.rms(y)) == pytest.approx(-20.0, abs=1e-9)
    with pytest.raises(ValueError, match="silent"):
        _mix.normalize_rms(np.zeros(10), -20.0, "quiet clip")


def test_snr_scale_sets_the_ratio():
    rng = np.random.default_rng(0)
    s, n = rng.standard_normal(8000), 0.01 * rng.standard_normal(8000)
    for snr in (0.0, 5.0, -3.0):
        scaled = _mix.snr_scale(s, n, snr)
        assert _mix.db(_mix.rms(s) / _mix.rms(scaled)) == pytest.approx(snr, abs=1e-9)


def test_grid_sums_are_exact_pcm16():
    rng = np.random.default_rng(1)
    a, b = _mix.on_pcm16_grid(0.3 * rng.standard_normal(1000)), _mix.on_pcm16_grid(0.3 * rng.standard_normal(1000))
    ia, ib = np.round(a * 32767).astype(int), np.round(b * 32767).astype(int)
    assert np.array_equal(np.round((a + b) * 32767).astype(int), ia + ib)


def test_place_fit_fade_loop():
    x = np.ones(100)
    p = _mix.place(x, 300, 250)
    assert p.size == 300 and p[:250].sum() == 0 and p[250:].sum() == 50
    assert _mix.fit(x, 40).size == 40 and _mix.fit(x, 140)[100:].sum() == 0
    f = _mix.fade(x, 1000, 0.01)
    assert f[0] == 0 and f[50] == 1 and f[-1] < 0.2
    looped = _mix.loop_to(x, 1000, 1000, gap=0.1)
    assert looped.size == 1000 and looped[100:200].sum() == 0  # the gap after the first copy
    with pytest.raises(ValueError):
        _mix.place(x, 100, 100)


def test_headroom_gain_and_floor():
    assert _mix.headroom_gain([np.array([0.5, -2.0])], peak=0.8) == pytest.approx(0.4)
    assert _mix.headroom_gain([np.array([0.1])]) == 1.0
    fl = _mix.noise_floor(16000, np.random.default_rng(0))
    assert _mix.db(_mix.rms(fl)) == pytest.approx(-80.0, abs=0.2)
    assert np.count_nonzero(_mix.on_pcm16_grid(fl)) > 0.5 * fl.size  # survives PCM_16
