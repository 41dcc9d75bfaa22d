"""unison.train.vae_fit: sound/speech crop weighting, and a short real fit on a synthetic corpus whose
output loads through load_vae and reconstructs better than the constant floor."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from unison.audio.vae import load_vae
from unison.config import AudioConfig
from unison.data.manifests import ManifestRow, write_manifest
from unison.train.vae_fit import VAEFitConfig, _crop_batch, clip_weights, fit_vae

SR, HOP = 8000, 64


def test_clip_weights_give_sound_clips_the_requested_share():
    kinds = ["speech"] * 8 + ["sound"] * 2
    w = clip_weights(kinds, 0.5)
    assert w.sum() == pytest.approx(1.0)
    assert w[8:].sum() == pytest.approx(0.5) and w[8] == pytest.approx(0.25) and w[0] == pytest.approx(0.5 / 8)
    assert clip_weights(kinds, 0.0) is None  # uniform over clips


@pytest.mark.parametrize("frac", [-0.1, 1.0])
def test_clip_weights_refuse_fractions_outside_the_unit_interval(frac):
    with pytest.raises(ValueError, match="sound_fraction"):
        clip_weights(["sound", "speech"], frac)


def test_clip_weights_need_both_kinds():
    with pytest.raises(ValueError, match="--sound-fraction 0"):
        clip_weights(["speech", "speech"], 0.5)


def test_weighted_crops_follow_the_weights():
    mels = [torch.full((4, 8), float(i)) for i in range(10)]
    cfg = VAEFitConfig(batch_size=4000, crop_frames=8)
    w = clip_weights(["speech"] * 8 + ["sound"] * 2, 0.5)
    batch = _crop_batch(mels, cfg, np.random.default_rng(0), w)  # (B, 4, 8); clip i is constant i
    picked = batch[:, 0, 0].long()
    assert abs(float((picked >= 8).float().mean()) - 0.5) < 0.03  # 4000 draws: sd ~0.008


def _audio() -> AudioConfig:
    a = AudioConfig()
    a.mel.sample_rate, a.mel.hop_length, a.mel.n_fft, a.mel.win_length = SR, HOP, 256, 256
    a.mel.n_mels, a.mel.f_max = 16, 4000.0
    a.vae.data_dim, a.vae.latent_channels, a.vae.hidden, a.vae.channel_mult = 16, 4, 8, [1, 2]
    a.vae.weights = None
    return a


def test_fit_writes_a_loadable_state_dict_that_beats_the_constant_floor(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(10):  # tones with a decaying envelope: learnable structure across mel bins and time
        t = np.arange(SR) / SR
        wave = 0.4 * np.exp(-3 * t) * np.sin(2 * np.pi * (150 + 120 * i) * t) + 0.003 * rng.standard_normal(SR)
        sf.write(tmp_path / f"c{i}.wav", wave.astype(np.float32), SR)
        rows.append(ManifestRow(f"c{i}", f"c{i}.wav", 1.0, "sound" if i % 3 == 0 else "speech", f"clip {i}"))
    manifest = write_manifest(tmp_path / "m.jsonl", rows)
    audio = _audio()
    cfg = VAEFitConfig(steps=60, batch_size=4, crop_frames=16, lr=3e-3, warmup_steps=5, holdout_every=4,
                       sound_fraction=0.5, log_every=1000)
    report = fit_vae(manifest, audio, tmp_path / "vae.pth", cfg)
    assert report.heldout_clips >= 1 and report.train_clips + report.heldout_clips == 10
    assert report.heldout_mel_l1 < report.heldout_mel_l1_zero  # learned something beyond the per-bin mean
    saved = json.loads((tmp_path / "vae.json").read_text())
    assert saved["fit"]["sound_fraction"] == 0.5 and saved["report"]["steps"] == 60
    audio.vae.path = str(tmp_path / "vae.pth")
    vae = load_vae(audio.vae)  # strict load of the written file
    assert not any(p.requires_grad for p in vae.parameters())
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes left no temp files
