"""VGGish (torchvggish port): front end facts, tiny weights in torchvggish's state-dict format."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

from bench.extractors import vggish
from bench.extractors.vggish import VGGishExtractor, load_vggish, log_mel_examples, mel_matrix

CONV = (2, 3, 4, 4, 5, 5)
FC = (6, 6, 8)


def save_tiny_vggish(path):
    """A state dict with torchvggish's key names and layout, tiny widths."""
    torch.manual_seed(0)
    sd = OrderedDict()
    in_ch = 1
    for i, w in zip(vggish.CONV_LAYER_IDS, CONV):
        sd[f"features.{i}.weight"] = torch.randn(w, in_ch, 3, 3) * 0.3
        sd[f"features.{i}.bias"] = torch.randn(w) * 0.1
        in_ch = w
    flat = in_ch * 6 * 4
    for i, w in zip(vggish.FC_LAYER_IDS, FC):
        sd[f"embeddings.{i}.weight"] = torch.randn(w, flat) * 0.3
        sd[f"embeddings.{i}.bias"] = torch.randn(w) * 0.1
        flat = w
    torch.save(sd, path)
    return sd


def test_mel_matrix_is_audioset_layout():
    m = mel_matrix()
    assert m.shape == (257, 64)
    assert np.all(m[0] == 0)  # DC bin zeroed
    freqs = np.linspace(0, 8000, 257)
    assert np.all(m[freqs < 125] == 0) and np.all(m[freqs > 7500] == 0)
    assert 0.9 < m.max() <= 1.0


def test_examples_shape_and_sine_peak():
    sr = 16000
    t = np.arange(int(2.5 * sr)) / sr
    ex = log_mel_examples(np.sin(2 * np.pi * 1000 * t))
    assert ex.shape == (2, 96, 64)  # 248 frames -> 2 whole 0.96 s examples
    centres = 700 * (np.exp(np.linspace(vggish._hz_to_mel_htk(125), vggish._hz_to_mel_htk(7500), 66)[1:-1] / 1127) - 1)
    assert abs(centres[ex.mean(axis=(0, 1)).argmax()] - 1000) < 80
    with pytest.raises(ValueError, match="0.975"):
        log_mel_examples(np.zeros(8000))


def test_tiny_weights_load_and_extract(tmp_path, monkeypatch):
    path = tmp_path / "vggish-10086976.pth"
    sd = save_tiny_vggish(path)
    net = load_vggish(path)
    assert torch.equal(net.embeddings[4].weight, sd["embeddings.4.weight"])
    assert not isinstance(net.embeddings[-1], torch.nn.ReLU)  # last ReLU removed (audioldm_eval)

    monkeypatch.setenv("UNISON_VGGISH", str(path))
    ext = VGGishExtractor()
    assert ext.available() is None
    sig = ext.signature()
    assert sig["weights_sha256"] and len(sig["weights_sha256"]) == 64 and sig["postprocess_pca"] is False
    rng = np.random.default_rng(0)
    short, long = rng.standard_normal(8000).astype(np.float32) * 0.1, rng.standard_normal(48000).astype(np.float32) * 0.1
    feats = ext.extract([short, long], [None, None])
    assert feats[0]["frames"].shape == (2, 8)  # 0.5 s padded to 2 s -> 2 frames
    assert feats[1]["frames"].shape == (3, 8)
    assert (feats[1]["frames"] < 0).any()  # no final ReLU
    assert sig["dc_removal"] and sig["pad_to_samples"] == 32000
    np.testing.assert_allclose(ext.extract([long + 0.2], [None])[0]["frames"], feats[1]["frames"], atol=1e-5)  # DC removed
    # The flattening order is TF's (N, H, W, C): recompute the first frame by hand.
    ex = torch.from_numpy(log_mel_examples(vggish.prepare(short)))[:1, None]
    h = net.features(ex).permute(0, 2, 3, 1).reshape(1, -1)
    np.testing.assert_allclose(feats[0]["frames"][0], net.embeddings(h)[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_missing_weights_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_VGGISH", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = VGGishExtractor().available()
    assert reason.startswith("unavailable:") and "vggish-10086976.pth" in reason and "torchvggish" in reason


def test_wrong_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.pth"
    torch.save({"model": {"a": torch.zeros(1)}}, bad)
    with pytest.raises(ValueError, match="not a torchvggish state dict"):
        load_vggish(bad)
