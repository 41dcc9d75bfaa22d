import math

import numpy as np
import pytest
import torch

from bench.extractors.waveform import WaveformExtractor, waveform_16k, waveform_44k
from bench.item import Item
from bench.metrics.lsd import LSD, lsd, stft_params


def _noise(n, seed):
    return np.random.default_rng(seed).normal(0, 0.1, size=n).astype(np.float32)


def _torch_lsd(est, ref, sr):
    """Independent derivation with torch.stft (hann, centred, zero padding) and the ssr_eval formula."""
    n_fft, hop = int(2048 / (44100 / sr)), int(sr / 100)
    n = min(len(est), len(ref))
    spec = lambda x: torch.stft(torch.tensor(x[:n], dtype=torch.float64), n_fft, hop,  # noqa: E731
                                window=torch.hann_window(n_fft, dtype=torch.float64), center=True,
                                pad_mode="constant", return_complex=True).abs()
    s_est, s_ref = spec(est), spec(ref)
    d = torch.log10(s_ref ** 2 / (s_est + 1e-12) ** 2 + 1e-12) ** 2
    return float(torch.mean(torch.mean(d, dim=0) ** 0.5))


@pytest.mark.parametrize("sr", [16000, 44100])
def test_lsd_matches_torch_rederivation(sr):
    ref = _noise(sr, 0)
    est = np.concatenate([ref, np.zeros(123, np.float32)]) + _noise(sr + 123, 1)  # longer: cropped
    assert lsd(est, ref, sr) == pytest.approx(_torch_lsd(est, ref, sr), rel=1e-9)


def test_lsd_closed_forms():
    sr = 16000
    assert stft_params(16000) == (743, 160) and stft_params(44100) == (2048, 441)
    ref = _noise(sr, 2)
    assert lsd(ref, ref, sr) == pytest.approx(0.0, abs=1e-9)
    # Half amplitude: power ratio 4 in every bin -> log10(4), no x10 (not dB).
    assert lsd(0.5 * ref, ref, sr) == pytest.approx(math.log10(4.0), rel=1e-6)
    with pytest.raises(ValueError):
        lsd(ref[:100], ref, sr)
    with pytest.raises(ValueError):
        lsd(np.stack([ref, ref]), ref, sr)


def test_waveform_extractor_is_identity():
    ext = waveform_16k()
    assert ext.name == "waveform-16k" and ext.sample_rate == 16000
    assert waveform_44k().name == "waveform-44.1k"
    assert WaveformExtractor(22050).name == "waveform-22.05k"
    w = _noise(100, 3)
    out = ext.extract([w], [None])
    assert np.array_equal(out[0]["samples"], w) and out[0]["samples"].dtype == np.float32
    assert ext.signature()["sample_rate"] == 16000
    with pytest.raises(ValueError):
        ext.extract([np.zeros((2, 10))], [None])


def test_lsd_metric_per_item():
    sr = 16000
    items = [Item(id=f"i{k}", task="edit_add", instruction="x", seconds=1.0, seed=k, target="t.wav")
             for k in range(3)]
    items.append(Item(id="nt", task="t2a", instruction="x", seconds=1.0, seed=9))
    refs = [_noise(sr, k) for k in range(4)]
    gens = [r * 0.5 for r in refs]
    m = LSD()
    assert m.key == "lsd@ssr-eval" and m.needs == {"gen": "waveform-16k", "target": "waveform-16k"}
    feats = {"gen": [{"samples": g} for g in gens], "target": [{"samples": r} for r in refs]}
    feats["gen"][1] = None
    res = m.score(items, feats)
    assert res.per_item[1] is None and res.per_item[3] is None
    assert res.extra["not_applicable"] == [3] and res.extra["n_failed"] == 1
    assert res.value == pytest.approx(math.log10(4.0), rel=1e-6) and res.n == 2


def test_identical_zero_padded_signals_score_zero():
    """Digital silence in both signals is equality (version 2 rule), not 144 per bin."""
    import numpy as np

    from bench.metrics.lsd import lsd

    rng = np.random.default_rng(0)
    wave = np.concatenate([rng.standard_normal(8000) * 0.1, np.zeros(8000)])
    assert lsd(wave, wave, 16000) < 1e-9  # only the formula's own +1e-12 remains
    # A silent estimate against a non-silent reference is still heavily penalised.
    assert lsd(np.zeros_like(wave), wave, 16000) > 5.0
