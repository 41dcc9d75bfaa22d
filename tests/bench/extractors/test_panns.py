"""PANNs CNN14 16 kHz: module tree vs the published checkpoint layout, tiny weights in its format."""
import librosa
import numpy as np
import pytest
import torch

from bench.extractors.panns import Cnn14, PannsCnn14Extractor, load_cnn14


def test_full_size_tree_matches_published_layout():
    with torch.device("meta"):
        net = Cnn14()
    sd = net.state_dict()
    assert sd["spectrogram_extractor.stft.conv_real.weight"].shape == (257, 1, 512)
    assert sd["logmel_extractor.melW"].shape == (257, 64)
    assert sd["conv_block6.conv2.weight"].shape == (2048, 2048, 3, 3)
    assert sd["fc1.weight"].shape == (2048, 2048) and sd["fc_audioset.weight"].shape == (527, 2048)
    assert "bn0.num_batches_tracked" in sd and "conv_block1.bn2.running_var" in sd


def test_front_end_is_librosa_slaney_mel_50_8000():
    net = Cnn14(conv_widths=(2,), embed_dim=3, classes=4)
    ref = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=50, fmax=8000).T
    np.testing.assert_allclose(net.logmel_extractor.melW.detach().numpy(), ref, rtol=1e-5, atol=1e-7)


def test_tiny_checkpoint_loads_and_extracts(tmp_path, monkeypatch):
    torch.manual_seed(0)
    src = Cnn14(conv_widths=(2, 2, 3, 3, 4, 4), embed_dim=5, classes=7)
    for m in src.modules():  # non-trivial BN statistics so a wrong load would show
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    path = tmp_path / "Cnn14_16k_mAP=0.438.pth"
    torch.save({"iteration": 0, "model": src.state_dict()}, path)

    net = load_cnn14(path)
    assert torch.equal(net.bn0.running_mean, src.bn0.running_mean)
    monkeypatch.setenv("UNISON_PANNS_CNN14_16K", str(path))
    ext = PannsCnn14Extractor()
    assert ext.available() is None and len(ext.signature()["weights_sha256"]) == 64
    rng = np.random.default_rng(1)
    short = rng.standard_normal(4000).astype(np.float32) * 0.1 + 0.3  # DC offset is removed
    feats = ext.extract([short, rng.standard_normal(40000).astype(np.float32) * 0.1], [None, None])
    assert feats[0]["embedding"].shape == (5,) and feats[0]["logits"].shape == (7,)
    assert (feats[0]["embedding"] >= 0).all()  # ReLU(fc1)
    np.testing.assert_allclose(feats[1]["probs"], 1 / (1 + np.exp(-feats[1]["logits"])), rtol=1e-5)
    # Same as running the source model on the DC-free, 2 s padded wave.
    wave = np.pad(short - short.mean(), (0, 32000 - 4000))
    with torch.no_grad():
        emb, logits = src.eval()(torch.from_numpy(wave)[None])
    np.testing.assert_allclose(feats[0]["logits"], logits[0].numpy(), rtol=1e-4, atol=1e-5)


def test_missing_and_wrong_files(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_PANNS_CNN14_16K", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = PannsCnn14Extractor().available()
    assert reason.startswith("unavailable:") and "Cnn14_16k_mAP=0.438.pth" in reason and "zenodo" in reason
    bad = tmp_path / "bad.pth"
    torch.save({"state_dict": {}}, bad)
    with pytest.raises(ValueError, match="not a PANNs checkpoint"):
        load_cnn14(bad)
