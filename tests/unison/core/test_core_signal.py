"""The numpy signal helpers: levels, SNRs, placement, length fitting, the two fades, looping."""
import numpy as np
import pytest

from unison.core import signal as S


def test_normalize_rms_and_silence_error():
    x = np.sin(np.linspace(0, 100, 16000))
    y = S.normalize_rms(x, -20.0)
    assert S.db(S.rms(y)) == pytest.approx(-20.0, abs=1e-9)
    with pytest.raises(ValueError, match="quiet clip"):
        S.normalize_rms(np.zeros(10), -20.0, "quiet clip")


def test_scale_to_snr_puts_the_noise_below_the_signal():
    rng = np.random.default_rng(0)
    s, n = rng.standard_normal(8000), 0.01 * rng.standard_normal(8000)
    for snr in (0.0, 5.0, -3.0):
        scaled = S.scale_to_snr(s, n, snr)
        assert S.db(S.rms(s) / S.rms(scaled)) == pytest.approx(snr, abs=1e-9)
    with pytest.raises(ValueError, match="silent"):
        S.scale_to_snr(s, np.zeros(10), 0.0)


def test_scale_over_puts_x_above_the_reference_in_float32():
    rng = np.random.default_rng(1)
    ref, x = rng.standard_normal(8000), rng.standard_normal(4000).astype(np.float32)
    out = S.scale_over(ref, x, 5.0)
    assert out.dtype == np.float32 and S.db(S.rms(out) / S.rms(ref)) == pytest.approx(5.0, abs=1e-5)
    assert np.array_equal(S.scale_over(np.zeros(5), x, 5.0), x)  # a silent reference: unscaled
    with pytest.raises(ValueError, match="silent"):
        S.scale_over(ref, np.zeros(5), 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_array_helpers_keep_the_dtype(dtype):
    x = np.ones(100, dtype=dtype)
    p = S.place(x, 300, 250)
    assert p.dtype == dtype and p.size == 300 and p[:250].sum() == 0 and p[250:].sum() == 50
    assert S.fit_length(x, 40).size == 40 and S.fit_length(x, 140)[100:].sum() == 0
    assert S.fit_length(x, 140).dtype == dtype
    looped = S.loop(x, 1000, 1000, gap=0.1)
    assert looped.dtype == dtype and looped.size == 1000 and looped[100:200].sum() == 0  # the gap
    assert S.peak_limit(2 * x).dtype == dtype and S.peak_limit(2 * x).max() == pytest.approx(0.99)
    assert S.peak_limit(0.5 * x).max() == 0.5  # never scaled up


def test_place_refuses_an_offset_outside_the_canvas():
    for offset in (-1, 100):
        with pytest.raises(ValueError, match="outside a canvas of 100"):
            S.place(np.ones(10), 100, offset)
    with pytest.raises(ValueError, match="empty"):
        S.loop(np.zeros(0), 10, 1000)


def test_the_two_fades_differ_as_named():
    x = np.ones(100)
    rc = S.fade_raised_cosine(x, 1000, 0.01)
    assert rc.dtype == np.float64 and rc[0] == 0 and rc[10] == 1
    assert rc[1] == pytest.approx(0.5 - 0.5 * np.cos(np.pi / 10))
    lin = S.fade_linear(x, 1000, 0.01)
    assert lin.dtype == np.float32 and lin[0] == 0 and lin[9] == 1 and lin[1] == pytest.approx(1 / 9)
    assert x.sum() == 100  # both return copies


def test_seconds_to_samples_rounds():
    assert S.seconds_to_samples(0.25, 16000) == 4000 and S.seconds_to_samples(1 / 3, 3) == 1
