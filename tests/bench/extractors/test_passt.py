"""PaSST (av-benchmark's FD / KL) through hear21passt's own modules: a state dict in the
published layout of a PaSST-S shrunk via hear21passt's own architecture function (same module
tree and key names, width 64, depth 1) saved under the published file name, found by the
weights resolver, loaded through hear21passt's checkpoint_filter_fn and a strict load, run on a
REAL recording (a LibriVox utterance) and compared with the source module."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("hear21passt")

from hear21passt.models import passt as P  # noqa: E402

from unison.core.audio import read_mono  # noqa: E402
from bench.extractors import passt_ext  # noqa: E402
from bench.item import Item  # noqa: E402
from bench.metrics import field  # noqa: E402

CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav")


def _tiny(pretrained=False, **kw):
    kw.update(patch_size=16, embed_dim=64, depth=1, num_heads=2)
    return P._create_vision_transformer(passt_ext.ARCH, pretrained=pretrained, distilled=True, **kw)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "passt_s_swa_p16_128_ap476", _tiny)
    torch.manual_seed(0)
    src = passt_ext.build_wrapper().eval()
    d = tmp_path / "passt-s-swa-ap476"
    d.mkdir()
    torch.save(src.net.state_dict(), d / passt_ext.WEIGHTS.filename)
    monkeypatch.delenv("UNISON_PASST", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path / "cache"))
    return src


def test_loads_published_layout_and_matches_source(tiny):
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} missing")
    ext = passt_ext.PasstExtractor()
    assert ext.available() is None and len(ext.signature()["weights_sha256"]) == 64
    x = read_mono(CLIP, 32000)[0]  # 7.1 s: zero-padded to 10 s
    long = np.concatenate([x, x])  # 14.2 s: first 10 s
    feats = ext.extract([x, long], [None, None])
    assert feats[0]["embedding"].shape == (64,) and feats[0]["logits"].shape == (527,)
    with torch.inference_mode():
        ref = tiny(torch.from_numpy(passt_ext.fit_clip(long))[None])[0].numpy()
    np.testing.assert_allclose(feats[1]["logits"], ref[:527], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(feats[1]["embedding"], ref[527:], rtol=1e-4, atol=1e-5)
    assert passt_ext.fit_clip(long).shape == (320000,) and abs(float(passt_ext.fit_clip(x).mean())) > 0  # pad after DC removal
    # KL as av-benchmark's compute_kl ("kl_softmax"): torch's kl_div on log-softmaxes.
    items = [Item(id=f"i{k}", task="t2a", instruction="", seconds=7.0, seed=0, target="t.wav") for k in range(2)]
    res = field.kl_passt().score(items, {"gen": feats, "target": feats[::-1]})
    g = torch.from_numpy(np.stack([f["logits"] for f in feats])).double()
    r = g.flip(0)
    expect = torch.nn.functional.kl_div(torch.log_softmax(g, 1), torch.log_softmax(r, 1), reduction="sum",
                                        log_target=True) / 2
    assert res.value == pytest.approx(float(expect), rel=1e-9)


def test_wrong_layout_and_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "passt_s_swa_p16_128_ap476", _tiny)
    bad = tmp_path / "bad.pt"
    torch.save({"not": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="keys do not match"):
        passt_ext.load_passt(bad)
    monkeypatch.delenv("UNISON_PASST", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = passt_ext.PasstExtractor().available()
    assert reason.startswith("unavailable:") and "passt-s-f128-p16-s10-ap.476-swa.pt" in reason
