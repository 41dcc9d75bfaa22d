import numpy as np
import pytest
import torch

from unison.audio.codec import build_codec
from unison.audio.latent_stats import LatentStats
from unison.audio.mel import MEL_PRESETS
from unison.config import AudioConfig, VAEConfig, VocoderConfig


def _tiny_cfg() -> AudioConfig:
    # tiny22k-like front end, small random VAE, weights-free vocoder: fast and offline
    return AudioConfig(mel=MEL_PRESETS["hifigan-22k"],
                       vae=VAEConfig(weights=None, data_dim=80, latent_channels=4, hidden=8),
                       vocoder=VocoderConfig(kind="griffinlim", weights=None, griffinlim_iters=4),
                       seconds=1.0)


def _tone(seconds: float, sr: int = 22050) -> torch.Tensor:
    t = np.arange(int(seconds * sr)) / sr
    return torch.from_numpy((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32))[None]


def test_encode_decode_lengths_follow_sequence_rules():
    torch.manual_seed(0)
    codec = build_codec(_tiny_cfg(), stats=None)
    assert (codec.sample_rate, codec.latent_channels) == (22050, 4)
    wave = _tone(1.0).repeat(2, 1)  # 22050 samples: not a multiple of 512 -> padded
    z = codec.encode(wave, sample_rate=22050)
    assert z.shape == (2, codec.latent_len(1.0), 4) == (2, 44, 4)
    out = codec.decode(z)
    assert out.shape == (2, codec.num_samples(44)) == (2, 44 * 512)
    assert torch.isfinite(out).all()


def test_stats_normalise_posterior_means():
    torch.manual_seed(0)
    cfg = _tiny_cfg()
    raw_codec = build_codec(cfg, stats=None)
    wave = _tone(0.5)
    raw = raw_codec.posterior_means(wave)
    stats = LatentStats.compute([raw])
    codec = build_codec(cfg, stats=stats)
    codec.vae.load_state_dict(raw_codec.vae.state_dict())
    z = codec.encode(wave)
    assert torch.allclose(z, (raw - stats.mean) / stats.std, atol=1e-5)
    assert torch.allclose(z.reshape(-1, 4).mean(0), torch.zeros(4), atol=1e-4)


def test_other_rates_are_refused_not_resampled():
    codec = build_codec(_tiny_cfg(), stats=None)
    with pytest.raises(ValueError, match="16000 Hz but this codec works at 22050 Hz"):
        codec.encode(_tone(0.5, 16000), sample_rate=16000)
    with pytest.raises(ValueError, match=r"\(batch, samples\)"):
        codec.encode(torch.zeros(1, 1, 1024))
    with pytest.raises(ValueError, match=r"\(batch, frames, 4\)"):
        codec.decode(torch.zeros(1, 10, 5))


def test_mismatched_parts_are_refused():
    cfg = _tiny_cfg()
    with pytest.raises(ValueError, match="latent statistics have 3 channels"):
        build_codec(cfg, stats=LatentStats(torch.zeros(3), torch.ones(3)))
    cfg.vocoder = VocoderConfig(kind="hifigan", weights="hifigan-universal-22k")
    cfg.mel = MEL_PRESETS["mmaudio-16k"]
    with pytest.raises(ValueError, match="does not fit the configured mel front end"):
        build_codec(cfg, stats=None)
