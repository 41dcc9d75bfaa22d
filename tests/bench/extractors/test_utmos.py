"""UTMOS22 strong learner: the module tree against the published checkpoint's layout (key names
and shapes of utmos22_strong_step7459_v1.pt, built on the meta device), and a tiny checkpoint in
that layout loaded through the weights resolver and scored on REAL speech."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from unison.core.audio import read_mono
from bench.extractors.utmos import UTMOS22Strong, UTMOSExtractor, load_utmos
from bench.item import Item
from bench.metrics import field

CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav")


def test_full_size_tree_matches_published_layout():
    with torch.device("meta"):
        sd = UTMOS22Strong().state_dict()
    assert len(sd) == 225  # as many keys as UTMOS22Strong of SpeechMOS
    shapes = {"wav2vec2.feature_extractor.conv_layers.0.0.weight": (512, 1, 10),
              "wav2vec2.feature_extractor.conv_layers.0.2.weight": (512,),
              "wav2vec2.feature_extractor.conv_layers.6.0.weight": (512, 512, 2),
              "wav2vec2.post_extract_proj.weight": (768, 512), "wav2vec2.mask_emb": (768,),
              "wav2vec2.encoder.pos_conv.0.weight_g": (1, 1, 128),
              "wav2vec2.encoder.pos_conv.0.weight_v": (768, 48, 128),
              "wav2vec2.encoder.layers.11.self_attn.q_proj.weight": (768, 768),
              "wav2vec2.encoder.layers.11.fc1.weight": (3072, 768), "domain_emb": (1, 128), "judge_emb": (1, 128),
              "blstm.weight_ih_l0": (2048, 1024), "blstm.weight_hh_l0_reverse": (2048, 512),
              "projection.0.weight": (2048, 1024), "projection.2.weight": (1, 2048)}
    for k, shape in shapes.items():
        assert tuple(sd[k].shape) == shape, k


def test_tiny_checkpoint_loads_and_scores_real_speech(tmp_path, monkeypatch):
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} missing")
    torch.manual_seed(0)
    src = UTMOS22Strong(conv_dim=16, dim=32, heads=1,  # heads are not in the file: 1 for dim < 64
                          ffn=48, layers=2, pos_groups=4, emb=8, rnn=12, proj=20).eval()
    for p in (src.domain_emb, src.judge_emb):
        p.data.normal_()
    d = tmp_path / "utmos22-strong"
    d.mkdir()
    torch.save(src.state_dict(), d / "utmos22_strong_step7459_v1.pt")
    monkeypatch.delenv("UNISON_UTMOS22_STRONG", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path / "cache"))
    ext = UTMOSExtractor()
    assert ext.available() is None and len(ext.signature()["weights_sha256"]) == 64
    x = read_mono(CLIP, 16000)[0]
    odd = x[:-333]  # an odd number of frames exercises the masked pad frame
    feats = ext.extract([x, odd, np.zeros(10, np.float32)], [None] * 3)
    with torch.inference_mode():
        for f, w in zip(feats, (x, odd)):
            assert f["mos"] == pytest.approx(float(src(torch.from_numpy(w)[None])[0]), abs=1e-5)
    assert "error" in feats[2]
    items = [Item(id=f"i{k}", task="tts", instruction="", seconds=3.0, seed=0) for k in range(3)]
    res = field.utmos_strong().score(items, {"gen": feats})
    assert res.per_item[:2] == [feats[0]["mos"], feats[1]["mos"]] and "i2" in res.extra["item_errors"]


def test_wrong_file_and_missing(tmp_path, monkeypatch):
    bad = tmp_path / "bad.pt"
    torch.save({"x": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="not a UTMOS22Strong state dict"):
        load_utmos(bad)
    monkeypatch.delenv("UNISON_UTMOS22_STRONG", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = UTMOSExtractor().available()
    assert reason.startswith("unavailable:") and "utmos22_strong_step7459_v1.pt" in reason
