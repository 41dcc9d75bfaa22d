"""The super-resolution output keeps the input's band: below the detected cut-off the output's
spectrum is the input's, above it the model's; the cut-off comes from the input alone."""
import numpy as np
import pytest

from unison.audio.band_keep import _stft, cutoff_bin, cutoff_hz, keep_input_band

SR = 22050


def _band_limited(cut_hz: float, seed: int = 0) -> np.ndarray:
    """White noise through an FFT brick wall at ``cut_hz`` (the training synthesis' low-pass)."""
    x = np.fft.rfft(np.random.default_rng(seed).standard_normal(SR * 3) * 0.1)
    x[np.fft.rfftfreq(SR * 3, 1 / SR) > cut_hz] = 0
    return np.fft.irfft(x, SR * 3).astype(np.float32)


@pytest.mark.parametrize("cut", [2000.0, 4000.0, 6000.0])
def test_cutoff_is_found_at_the_true_one(cut):
    found = cutoff_hz(_band_limited(cut), SR)
    assert cut - 3 * SR / 2048 <= found <= cut + 3 * SR / 2048  # within 3 bins (window leakage)


def test_low_band_from_the_input_high_band_from_the_model():
    src = _band_limited(3000.0)
    model = (np.random.default_rng(1).standard_normal(src.size) * 0.1).astype(np.float32)
    out = keep_input_band(model, src)
    assert out.dtype == np.float32 and out.shape == model.shape
    k = cutoff_bin(src)
    s_out, s_src, s_model = (np.abs(_stft(x)) for x in (out, src, model))
    low = np.abs(s_out[:k - 8] - s_src[:k - 8]).mean() / s_src[:k - 8].mean()
    high = np.abs(s_out[k + 8:] - s_model[k + 8:]).mean() / s_model[k + 8:].mean()
    assert low < 0.02 and high < 0.02
    # the model's own low band is gone: the output is far closer to the input there than the model was
    assert np.abs(s_model[:k - 8] - s_src[:k - 8]).mean() / s_src[:k - 8].mean() > 0.5


def test_input_through_itself_is_unchanged_and_silence_keeps_nothing():
    src = _band_limited(4000.0)
    assert np.max(np.abs(keep_input_band(src, src) - src)) < 1e-6
    model = np.ones(SR, dtype=np.float32) * 0.01
    assert np.array_equal(keep_input_band(model, np.zeros(SR, dtype=np.float32)), model)


def test_source_of_another_length_is_fitted():
    src = _band_limited(2000.0)
    model = (np.random.default_rng(2).standard_normal(src.size - 1000) * 0.1).astype(np.float32)
    assert keep_input_band(model, src).shape == model.shape
