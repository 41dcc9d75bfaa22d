import importlib.util
import json
import math
import os
from pathlib import Path

import pytest
import torch

from unison.audio.mp_layers import MPConv1d, forced_weight_norm
from unison.audio.vae import MMAudioVAE, VAEWeightsMismatchError, load_vae
from unison.config import VAEConfig
from unison.core.weights import MissingWeightsError

FIXTURES = Path(__file__).parent / "fixtures"
VAE_16K = VAEConfig(data_dim=80, latent_channels=20, hidden=384)
VAE_44K = VAEConfig(data_dim=128, latent_channels=40, hidden=512, weights="mmaudio-vae-44k")


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_vae_keys", FIXTURES / "make_mmaudio_vae_keys.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _meta_model(cfg: VAEConfig) -> MMAudioVAE:
    with torch.device("meta"):
        return MMAudioVAE(cfg)


@pytest.mark.parametrize("tag,cfg", [("16k", VAE_16K), ("44k", VAE_44K)])
def test_state_dict_matches_published_layout(tag, cfg):
    expected = json.loads((FIXTURES / f"mmaudio_vae_{tag}_keys.json").read_text())
    ours = {k: list(v.shape) for k, v in _meta_model(cfg).state_dict().items()}
    assert ours == expected


@pytest.mark.parametrize("cfg,millions", [(VAE_16K, 171.7), (VAE_44K, 305.5)])
def test_parameter_counts(cfg, millions):
    n = sum(p.numel() for p in _meta_model(cfg).parameters())
    assert round(n / 1e6, 1) == millions


TINY = dict(data_dim=80, latent_channels=4, hidden=8)


def _save_published_layout(path: Path, data_dim=80, embed=4, hidden=8, seed=0) -> dict[str, torch.Tensor]:
    """A plain {name: tensor} dict built from the fixture layout (not from our module), torch.save'd."""
    g = torch.Generator().manual_seed(seed)
    layout = _fixture_module().vae_keys(data_dim, embed, hidden)
    state = {k: torch.randn(shape, generator=g) for k, shape in layout.items()}
    state["data_std"] = state["data_std"].abs() + 0.5
    state["encoder.learnable_gain"] = torch.tensor(0.1)
    torch.save(state, path)
    return state


def test_strict_load_bakes_weight_norm(tmp_path):
    f = tmp_path / "v1-16.pth"
    state = _save_published_layout(f)
    vae = load_vae(VAEConfig(**TINY, weights=None, path=str(f)))
    assert not vae.training and not any(p.requires_grad for p in vae.parameters())
    assert torch.equal(vae.data_std, state["data_std"])
    w_file = state["encoder.conv_in.weight"]
    assert torch.allclose(vae.encoder.conv_in.weight, forced_weight_norm(w_file))
    # baked weights give the same function as live forced weight norm on the raw file weights
    live = MMAudioVAE(VAEConfig(**TINY, weights=None))
    live.load_state_dict(state, strict=True)
    mel = torch.randn(2, 80, 32) - 2.0
    with torch.no_grad():
        assert torch.allclose(vae.encode(mel).mean, live.encode(mel).mean, atol=1e-5)


def test_published_name_resolves_through_weights_dir(tmp_path, monkeypatch):
    d = tmp_path / "mmaudio-vae-16k"
    d.mkdir()
    _save_published_layout(d / "v1-16.pth")
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.delenv("UNISON_WEIGHTS_MMAUDIO_VAE_16K", raising=False)
    vae = load_vae(VAEConfig(**TINY, weights="mmaudio-vae-16k"))
    assert all(m.weight_norm_removed for m in vae.modules() if isinstance(m, MPConv1d))


def test_missing_file_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.delenv("UNISON_WEIGHTS_MMAUDIO_VAE_16K", raising=False)
    with pytest.raises(MissingWeightsError) as e:
        load_vae(VAEConfig(**TINY, weights="mmaudio-vae-16k"))
    msg = str(e.value)
    assert "v1-16.pth" in msg and "releases/download/v0.1" in msg and "UNISON_WEIGHTS_MMAUDIO_VAE_16K" in msg


def test_wrong_shapes_name_the_file_and_keys(tmp_path):
    f = tmp_path / "v1-16.pth"
    _save_published_layout(f, hidden=16)  # file made for a wider model
    with pytest.raises(VAEWeightsMismatchError) as e:
        load_vae(VAEConfig(**TINY, weights=None, path=str(f)))
    msg = str(e.value)
    assert str(f) in msg and "encoder.conv_in.weight" in msg and "(16, 80, 3)" in msg and "shape mismatches" in msg


def test_unexpected_keys_reported(tmp_path):
    f = tmp_path / "v1-16.pth"
    state = _save_published_layout(f)
    state["quant_conv.weight"] = torch.zeros(1)
    del state["decoder.conv_out.weight"]
    torch.save(state, f)
    with pytest.raises(VAEWeightsMismatchError, match=r"missing keys \[1\]: decoder.conv_out.weight.*unexpected keys \[1\]: quant_conv.weight"):
        load_vae(VAEConfig(**TINY, weights=None, path=str(f)))


def test_encode_decode_shapes_and_posterior():
    torch.manual_seed(0)
    vae = MMAudioVAE(VAEConfig(**TINY, weights=None)).eval()
    mel = torch.randn(2, 80, 64) - 2.0
    with torch.no_grad():
        post = vae.encode(mel)
        assert post.mean.shape == (2, 4, 32) and post.logvar.shape == (2, 4, 32)
        assert post.logvar.min() >= -30 and post.logvar.max() <= 20
        rec = vae.decode(post.mode())
    assert rec.shape == (2, 80, 64) and torch.isfinite(rec).all()
    with pytest.raises(ValueError, match="even number of mel frames"):
        vae.encode(mel[..., :63])
    with pytest.raises(ValueError, match=r"\(batch, 80, frames\)"):
        vae.encode(torch.randn(2, 64, 64))


def test_remove_weight_norm_is_idempotent():
    conv = MPConv1d(6, 5, 3)
    x = torch.randn(1, 6, 10)
    before = conv(x)
    conv.remove_weight_norm()
    once = conv.weight.detach().clone()
    conv.remove_weight_norm()
    assert torch.equal(conv.weight, once)
    assert torch.allclose(conv(x), before, atol=1e-6)
    # every output filter has unit L2 norm (up to eps)
    norms = once.flatten(1).norm(dim=1)
    assert torch.allclose(norms, torch.ones(5), rtol=1e-3)


@pytest.mark.real_weights
@pytest.mark.skipif(not os.environ.get("UNISON_WEIGHTS_MMAUDIO_VAE_16K"),
                    reason="set UNISON_WEIGHTS_MMAUDIO_VAE_16K=/path/to/v1-16.pth to test the published 16k VAE")
def test_real_v1_16_loads_and_reconstructs():
    vae = load_vae(VAEConfig())
    t = torch.arange(16000 * 2) / 16000
    wave = (0.3 * torch.sin(2 * math.pi * 440 * t)).unsqueeze(0)
    from unison.audio.mel import MEL_PRESETS, MelSpectrogram

    mel = MelSpectrogram(MEL_PRESETS["mmaudio-16k"])(wave)[..., :124]
    with torch.no_grad():
        rec = vae.decode(vae.encode(mel).mode())
    assert (rec - mel).abs().mean() < 0.5
