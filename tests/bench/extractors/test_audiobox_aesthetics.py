"""Audiobox Aesthetics through the package's own AesPredictor: a checkpoint in the published
layout ({"state_dict": {"model." + key}, "model_cfg", "target_transform"}) of a WavLM shrunk via
the package's module-level DEFAULT_AUDIO_CFG (same module tree and key names, small widths),
found by the weights resolver, on REAL speech (a LibriVox utterance, 7.1 s, and 2 x that for the
two-window path)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("audiobox_aesthetics")

from audiobox_aesthetics.model import aes as aes_mod  # noqa: E402
from audiobox_aesthetics.model.wavlm import WavLMConfig  # noqa: E402

from unison.core.audio import read_mono  # noqa: E402
from bench.extractors.audiobox_aesthetics_ext import AXES, AudioboxAestheticsExtractor  # noqa: E402
from bench.item import Item  # noqa: E402
from bench.metrics import field  # noqa: E402

CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav")
TINY = {**aes_mod.DEFAULT_AUDIO_CFG.__dict__, "encoder_layers": 2, "encoder_embed_dim": 32,
        "encoder_ffn_embed_dim": 64, "encoder_attention_heads": 2, "conv_pos": 16, "conv_pos_groups": 4,
        "num_buckets": 32, "max_distance": 80,
        "conv_feature_layers": "[(32,10,5)] + [(32,3,2)] * 4 + [(32,2,2)] * 2"}
CFG = {"proj_num_layer": 1, "proj_ln": False, "proj_act_fn": "gelu", "proj_dropout": 0.0, "nth_layer": 3,
       "use_weighted_layer_sum": True, "precision": "bf16", "normalize_embed": True, "output_dim": 1}
TT = {"CE": {"mean": 5.1, "std": 1.2}, "CU": {"mean": 5.8, "std": 1.4}, "PC": {"mean": 3.9, "std": 1.6},
      "PQ": {"mean": 6.7, "std": 1.1}}


@pytest.fixture
def tiny_ckpt(tmp_path, monkeypatch):
    monkeypatch.setattr(aes_mod, "DEFAULT_AUDIO_CFG", WavLMConfig(TINY))
    torch.manual_seed(0)
    src = aes_mod.AesMultiOutput(**CFG, target_transform=TT).eval()
    for p in src.layer_weights.values():  # non-uniform layer weights so a wrong load would show
        p.data.uniform_(-1, 1)
    d = tmp_path / "audiobox-aesthetics"
    d.mkdir()
    path = d / "checkpoint.pt"
    torch.save({"state_dict": {"model." + k: v for k, v in src.state_dict().items()}, "model_cfg": CFG,
                "target_transform": TT}, path)
    monkeypatch.delenv("UNISON_AUDIOBOX_AESTHETICS", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path / "cache"))
    return src, path


def test_loads_published_layout_and_matches_the_module(tiny_ckpt):
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} missing")
    src, _ = tiny_ckpt
    ext = AudioboxAestheticsExtractor()
    assert ext.available() is None and len(ext.signature()["weights_sha256"]) == 64
    x = read_mono(CLIP, 16000)[0]
    long = np.concatenate([x, x])  # 14.2 s: two windows, the second 4.2 s long
    feats = ext.extract([x, long, np.zeros(0, np.float32)], [None] * 3)
    assert set(feats[0]) == set(AXES) and "error" in feats[2]
    # By hand from the source module: one padded + masked 10 s window for the first clip.
    wav = torch.zeros(1, 1, 160000)
    wav[0, 0, :x.size] = torch.from_numpy(x)
    mask = torch.zeros(1, 1, 160000, dtype=torch.bool)
    mask[0, 0, :x.size] = True
    with torch.inference_mode():
        raw = src({"wav": wav, "mask": mask})
    for axis in AXES:
        expect = float(raw[axis][0]) * TT[axis]["std"] + TT[axis]["mean"]
        assert feats[0][axis] == pytest.approx(expect, abs=1e-4), axis
    assert feats[1]["CE"] != feats[0]["CE"]
    items = [Item(id=f"i{k}", task="t2a", instruction="", seconds=7.0, seed=0) for k in range(3)]
    res = field.aes_pq().score(items, {"gen": feats})
    assert res.per_item[:2] == [feats[0]["PQ"], feats[1]["PQ"]] and "i2" in res.extra["item_errors"]


def test_missing_weights_are_unavailable(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_AUDIOBOX_AESTHETICS", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = AudioboxAestheticsExtractor().available()
    assert reason.startswith("unavailable:") and "checkpoint.pt" in reason and "audiobox-aesthetics" in reason
