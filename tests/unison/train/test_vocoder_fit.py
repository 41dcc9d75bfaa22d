"""unison.train.vocoder_fit: aligned crops, a short real fit on a synthetic corpus that beats the
constant floor on held-out clips and exports a strictly loadable file, exact resume, refused
resume with other settings."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf
import torch

from unison.audio.mel import MelSpectrogram
from unison.audio.vocoder import build_vocoder
from unison.config import AudioConfig
from unison.data.manifests import ManifestRow, write_manifest
from unison.audio.vocoder.vocos import VocosVocoder
from unison.train.vocoder_fit import (STATE, VocoderFitConfig, crop_batch, fit_vocoder, heldout_mel_l1,
                                      initial_generator, load_clips, train_generator)

SR, HOP, NFFT = 8000, 64, 256


def _audio() -> AudioConfig:
    a = AudioConfig()
    a.mel.sample_rate, a.mel.hop_length, a.mel.n_fft, a.mel.win_length = SR, HOP, NFFT, NFFT
    a.mel.n_mels, a.mel.f_max, a.mel.log = 16, 4000.0, "ln"
    return a


def _corpus(tmp_path, n=10):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):  # decaying tones: learnable structure across bins and time
        t = np.arange(SR) / SR
        wave = 0.4 * np.exp(-3 * t) * np.sin(2 * np.pi * (150 + 120 * i) * t) + 0.003 * rng.standard_normal(SR)
        sf.write(tmp_path / f"c{i}.wav", wave.astype(np.float32), SR)
        rows.append(ManifestRow(f"c{i}", f"c{i}.wav", 1.0, "sound" if i % 3 == 0 else "speech", f"clip {i}"))
    return write_manifest(tmp_path / "m.jsonl", rows)


def _cfg(**kw) -> VocoderFitConfig:
    base = dict(dim=32, intermediate_dim=64, num_layers=2, steps=80, batch_size=4, crop_frames=16, lr=3e-3,
                warmup_steps=5, holdout_every=4, sound_fraction=0.5, log_every=10, ckpt_every=10)
    return VocoderFitConfig(**{**base, **kw})


def test_crops_are_real_pairs_and_a_pure_function_of_the_step(tmp_path):
    audio = _audio()
    mel = MelSpectrogram(audio.mel)
    train, held = load_clips(_corpus(tmp_path), audio, 4, 16)
    assert all(c.wave.shape[0] == c.mel.shape[1] * HOP for c in train + held)
    cfg = _cfg(batch_size=32)
    m, wave = crop_batch(train, cfg, mel, 7, None)
    assert m.shape == (32, 16, 16) and wave.shape == (32, 16 * HOP)
    assert torch.equal(m, mel(wave))  # the input is the front end's mel of the target itself
    assert float(wave.abs().max()) <= 0.99 + 1e-6
    m2, wave2 = crop_batch(train, cfg, mel, 7, None)
    assert torch.equal(m, m2) and torch.equal(wave, wave2)
    assert not torch.equal(crop_batch(train, cfg, mel, 8, None)[1], wave)
    # without augmentation a crop is a stretch of a clip, and its inner mel frames are the
    # whole-clip mel's (the edge frames also see samples outside the crop)
    plain = _cfg(speed_prob=0.0, gain_db_min=0.0, gain_db_max=0.0)
    m, wave = crop_batch(train, plain, mel, 3, None)
    for b in range(wave.shape[0]):
        hits = [(c, s) for c in train for s in range(c.mel.shape[1] - 15)
                if torch.equal(c.wave[s * HOP:(s + 16) * HOP], wave[b])]
        assert hits, f"crop {b} is not a frame-aligned stretch of a training clip"
        c, s = hits[0]
        torch.testing.assert_close(m[b, :, 3:-3], c.mel[:, s + 3:s + 13], rtol=0, atol=1e-4)


def test_fit_beats_the_constant_floor_and_exports_a_strictly_loadable_vocoder(tmp_path):
    audio = _audio()
    export = tmp_path / "voc.safetensors"
    report = fit_vocoder(_corpus(tmp_path), audio, tmp_path / "run", export, _cfg(), progress=False)
    assert report.heldout_clips >= 1 and report.train_clips + report.heldout_clips == 10
    # held-out clips, never trained on: better than the per-bin mean and than the step-0 generator
    assert report.heldout_mel_l1 < report.heldout_mel_l1_floor
    train, held = load_clips(tmp_path / "m.jsonl", audio, 4, 16)
    init = VocosVocoder(initial_generator(_cfg(), audio).eval(), audio.mel)
    train_mean = torch.cat([c.mel for c in train], dim=1).mean(dim=1)
    assert report.heldout_mel_l1 < 0.5 * heldout_mel_l1(init, held, audio, train_mean)[0]
    saved = json.loads(export.with_suffix(".json").read_text())
    assert saved["fit"]["dim"] == 32 and saved["report"]["steps"] == 80
    voc = build_vocoder(replace(audio.vocoder, kind="vocos", path=str(export)), audio.mel)
    assert not any(p.requires_grad for p in voc.parameters())
    mel = torch.randn(2, 16, 11) - 4
    assert voc(mel).shape == (2, 11 * HOP)
    metrics = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == list(range(10, 81, 10))
    assert metrics[-1]["mel_l1"] < metrics[0]["mel_l1"]
    assert not list(tmp_path.rglob(".*.tmp"))  # atomic writes left no temp files


def test_resume_is_exact(tmp_path):
    audio = _audio()
    train, _ = load_clips(_corpus(tmp_path), audio, 4, 16)
    cfg = _cfg(steps=12, ckpt_every=3)
    straight = train_generator(train, audio, cfg, tmp_path / "a", progress=False)
    train_generator(train, audio, cfg, tmp_path / "b", stop_at=7, progress=False)  # saved at 6 and 7
    resumed = train_generator(train, audio, cfg, tmp_path / "b", progress=False)
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), k
    metrics = [json.loads(x)["step"] for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert metrics == [7, 10, 12]  # log_every 10 and each stop; nothing logged twice


def test_resume_with_other_settings_is_refused(tmp_path):
    audio = _audio()
    train, _ = load_clips(_corpus(tmp_path), audio, 4, 16)
    train_generator(train, audio, _cfg(steps=4), tmp_path / "r", progress=False)
    assert (tmp_path / "r" / STATE).is_file()
    with pytest.raises(ValueError, match="lr: run 0.003 vs now 0.001"):
        train_generator(train, audio, _cfg(steps=4, lr=1e-3), tmp_path / "r", progress=False)


def test_resume_under_another_mel_front_end_is_refused(tmp_path):
    """Same n_mels, so the weights would load: only the recorded mel settings can tell."""
    audio = _audio()
    train, _ = load_clips(_corpus(tmp_path), audio, 4, 16)
    train_generator(train, audio, _cfg(steps=4), tmp_path / "r", progress=False)
    other = _audio()
    other.mel.log = "log10"
    with pytest.raises(ValueError, match=r"another mel front end \(log='ln'\).*profile=tiny"):
        train_generator(train, other, _cfg(steps=4), tmp_path / "r", progress=False)
