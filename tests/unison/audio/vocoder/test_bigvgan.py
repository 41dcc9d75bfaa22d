import json
import math
from dataclasses import asdict

import pytest
import torch

from unison.audio.mel import MEL_PRESETS
from unison.audio.vocoder import build_vocoder
from unison.audio.vocoder.bigvgan import (BIGVGAN_V1_16K, AntiAliasedActivation, BigVGANGenerator,
                                          BigVGANHParams, BigVGANWeightsError, kaiser_sinc_filter,
                                          load_bigvgan)
from unison.config import VocoderConfig
from unison.core.weights import MissingWeightsError

# Tiny configs in the real config.json vocabulary (plus training-only keys the loader must ignore).
# Two stages keep the first (kernel-compiling) forward pass fast; the hop is still 256 / 512.
TINY_V1 = dict(resblock="1", num_mels=80, sampling_rate=16000, upsample_rates=[16, 16],
               upsample_kernel_sizes=[32, 32], upsample_initial_channel=32,
               resblock_kernel_sizes=[3, 7], resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5]],
               activation="snakebeta", snake_logscale=True, learning_rate=1e-4, batch_size=64)
TINY_V2 = dict(TINY_V1, num_mels=128, sampling_rate=44100, upsample_rates=[16, 32],
               upsample_kernel_sizes=[32, 64], use_tanh_at_final=False, use_bias_at_final=False,
               use_cqtd_instead_of_mrd=True, n_fft=2048, hop_size=512)


def _random_generator(hp: BigVGANHParams, seed=0) -> BigVGANGenerator:
    torch.manual_seed(seed)
    gen = BigVGANGenerator(hp).eval()
    with torch.no_grad():
        for name, p in gen.named_parameters():
            if name.endswith(("alpha", "beta")):
                p.uniform_(-0.5, 0.5)  # log-scale snake parameters away from their init
            elif p.dim() > 1:
                p.normal_(0, 0.05)
    return gen


def _published_state(gen: BigVGANGenerator) -> dict[str, torch.Tensor]:
    """Our plain weights rewritten as torch legacy weight norm pairs, the layout of the real files."""
    conv_keys = {f"{n}.weight" for n, m in gen.named_modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d))}
    out = {}
    for k, v in gen.state_dict().items():
        if k in conv_keys:
            g = torch.linalg.vector_norm(v, dim=tuple(range(1, v.dim())), keepdim=True)
            out[k[: -len(".weight")] + ".weight_g"] = g
            out[k[: -len(".weight")] + ".weight_v"] = v * 2.5  # any positive rescale of the direction
        else:
            out[k] = v
    return out


def _save(tmp_path, name, cfg_dict, version, with_config=True):
    hp = BigVGANHParams.from_json_dict(cfg_dict, mel_log="log10" if version == "v1" else "ln")
    gen = _random_generator(hp)
    d = tmp_path / name
    d.mkdir()
    fname = "best_netG.pt" if version == "v1" else "bigvgan_generator.pt"
    torch.save({"generator": _published_state(gen)}, d / fname)
    if with_config:
        (d / "config.json").write_text(json.dumps(cfg_dict))
    return d / fname, gen


@pytest.mark.parametrize("version,cfg", [("v1", TINY_V1), ("v2", TINY_V2)])
def test_loads_published_layout_and_reproduces_generator(tmp_path, version, cfg):
    path, ref = _save(tmp_path, version, cfg, version)
    state = torch.load(path, weights_only=True)["generator"]
    assert "conv_pre.weight_g" in state and "ups.0.0.weight_v" in state
    assert "resblocks.0.activations.0.upsample.filter" in state
    assert "activation_post.downsample.lowpass.filter" in state
    assert ("conv_post.bias" in state) == (version == "v1")
    voc = load_bigvgan(None, str(path), version)
    mel = torch.randn(2, cfg["num_mels"], 6) - 3.0
    with torch.no_grad():
        wave = voc(mel)
        want = ref(mel).squeeze(1)
    assert wave.shape == (2, 6 * math.prod(cfg["upsample_rates"]))
    assert torch.allclose(wave, want, atol=1e-5)
    assert voc.sample_rate == cfg["sampling_rate"] and voc.mel_log == ("log10" if version == "v1" else "ln")
    if version == "v2":
        assert wave.abs().max() <= 1.0  # v2 44k: clamp instead of tanh


def test_v1_without_config_uses_mmaudio_config(tmp_path):
    hp = BIGVGAN_V1_16K
    assert (hp.upsample_rates, hp.upsample_kernel_sizes, hp.upsample_initial_channel) == (
        [4, 4, 2, 2, 2, 2], [8, 8, 4, 4, 4, 4], 1536)
    assert hp.activation == "snakebeta" and hp.snake_logscale and hp.hop_length == 256
    with torch.device("meta"):
        n = sum(p.numel() for p in BigVGANGenerator(hp).parameters())
    assert round(n / 1e6, 1) == 112.2  # BigVGAN (large) generator as Make-An-Audio 2 / MMAudio use it
    # a tiny file without config.json is read with the embedded (full-size) config -> clear shape error
    path, _ = _save(tmp_path, "v1", TINY_V1, "v1", with_config=False)
    with pytest.raises(BigVGANWeightsError, match=r"best_netG.pt does not fit.*shape mismatches.*conv_pre.weight"):
        load_bigvgan(None, str(path), "v1")


def test_v2_44k_published_config_builds_the_122m_generator():
    from pathlib import Path

    cfg = json.loads((Path(__file__).parents[1] / "fixtures" / "bigvgan_v2_44khz_128band_512x_config.json").read_text())
    hp = BigVGANHParams.from_json_dict(cfg, mel_log="ln")
    assert hp.hop_length == 512 and hp.num_mels == 128 and hp.sampling_rate == 44100
    with torch.device("meta"):
        gen = BigVGANGenerator(hp)
    assert round(sum(p.numel() for p in gen.parameters()) / 1e6, 1) == 122.2
    assert "conv_post.bias" not in gen.state_dict()


def test_v2_needs_its_config(tmp_path):
    path, _ = _save(tmp_path, "v2", TINY_V2, "v2", with_config=False)
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_bigvgan(None, str(path), "v2")


def test_not_a_generator_file(tmp_path):
    f = tmp_path / "best_netG.pt"
    torch.save({"conv_pre.weight": torch.zeros(1)}, f)
    with pytest.raises(BigVGANWeightsError, match=r"\{'generator': state_dict\}"):
        load_bigvgan(None, str(f), "v1")


def test_missing_weights_name_file_and_source(tmp_path, monkeypatch):
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.delenv("UNISON_WEIGHTS_BIGVGAN_V1_16K", raising=False)
    with pytest.raises(MissingWeightsError, match=r"best_netG.pt.*releases/download/v0.1/best_netG.pt"):
        build_vocoder(VocoderConfig(kind="bigvgan_v1", weights="bigvgan-v1-16k"), MEL_PRESETS["mmaudio-16k"])


def test_build_vocoder_rejects_wrong_mel(tmp_path, monkeypatch):
    path, _ = _save(tmp_path, "bigvgan-v1-16k", TINY_V1, "v1")
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    voc = build_vocoder(VocoderConfig(kind="bigvgan_v1"), MEL_PRESETS["mmaudio-16k"])
    assert voc.hop_length == 256
    with pytest.raises(ValueError, match=r"mel.sample_rate=22050 \(vocoder needs 16000\).*mel.log='ln'"):
        build_vocoder(VocoderConfig(kind="bigvgan_v1"), MEL_PRESETS["hifigan-22k"])


def test_kaiser_filter_and_alias_free_path():
    f = kaiser_sinc_filter(0.25, 0.3, 12)
    assert f.shape == (1, 1, 12) and abs(f.sum().item() - 1) < 1e-6 and torch.allclose(f, f.flip(-1))
    act = AntiAliasedActivation(torch.nn.Identity())
    t = torch.arange(400, dtype=torch.float32)
    x = torch.sin(2 * math.pi * 0.02 * t)[None, None]  # well below the cut-off
    y = act(x)
    assert y.shape == x.shape
    assert (y - x)[..., 20:-20].abs().max() < 0.05  # up -> identity -> down passes a low tone


@pytest.mark.real_weights
@pytest.mark.parametrize("kind,env,preset", [
    ("bigvgan_v1", "UNISON_WEIGHTS_BIGVGAN_V1_16K", "mmaudio-16k"),
    ("bigvgan_v2", "UNISON_WEIGHTS_BIGVGAN_V2_44K", "mmaudio-44k"),
])
def test_real_bigvgan_vocodes_a_tone(kind, env, preset):
    import os

    from unison.audio.mel import MelSpectrogram

    if not os.environ.get(env):
        pytest.skip(f"set {env}=/path/to/the published generator file to test the real {kind}")
    mel_cfg = MEL_PRESETS[preset]
    voc = build_vocoder(VocoderConfig(kind=kind, weights=None, path=os.environ[env]), mel_cfg)
    t = torch.arange(mel_cfg.sample_rate) / mel_cfg.sample_rate
    wave = (0.3 * torch.sin(2 * math.pi * 440 * t))[None, : mel_cfg.sample_rate // mel_cfg.hop_length * mel_cfg.hop_length]
    with torch.no_grad():
        out = voc(MelSpectrogram(mel_cfg)(wave))
    assert out.shape == wave.shape and out.abs().max() > 0.05
