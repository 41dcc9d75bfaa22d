"""unison train's data wiring (unison.train.run.build_stream): the manifest is validated with the
config's data rules, and the synthesizer checks only the tasks the schedule can draw."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import torch

from unison.config import UnisonConfig
from unison.data.manifests import ManifestRow, write_manifest
from unison.data.synthesis import NotEnoughDataError
from unison.train.run import build_stream, scheduled_tasks

SR, HOP, C = 8000, 64, 3


class FrameMeanCodec:
    """encode(wave (B, N)) -> (B, N / (2 hop), C): frame means, enough for a latent-shaped batch."""

    sample_rate, hop_length = SR, HOP

    def encode(self, wave):
        frames = wave.reshape(wave.shape[0], -1, 2 * HOP).mean(-1)  # (B, T)
        return frames[..., None].expand(-1, -1, C).clone()  # (B, T, C)


def _sound_manifest(tmp_path, seconds=(1.0, 1.5, 1.2, 0.8, 0.2), silent=False):
    """Sound-only corpus: tones of the given lengths (+ a -80 dBFS noise clip when ``silent``)."""
    rows, rng = [], np.random.default_rng(0)
    for i, s in enumerate(seconds):
        wave = 0.3 * np.sin(2 * np.pi * (200 + 50 * i) * np.arange(int(s * SR)) / SR) + 0.01 * rng.standard_normal(int(s * SR))
        sf.write(tmp_path / f"s{i}.wav", wave.astype(np.float32), SR)
        rows.append(ManifestRow(f"s{i}", f"s{i}.wav", s, "sound", f"tone number {i}"))
    if silent:
        sf.write(tmp_path / "quiet.wav", (1e-4 * rng.standard_normal(SR)).astype(np.float32), SR)  # -80 dBFS
        rows.append(ManifestRow("quiet", "quiet.wav", 1.0, "sound", "nothing"))
    return write_manifest(tmp_path / "manifest.jsonl", rows)


def _cfg(manifest, **data) -> UnisonConfig:
    cfg = UnisonConfig()
    cfg.audio.mel.sample_rate, cfg.audio.mel.hop_length, cfg.audio.seconds = SR, HOP, 2.0
    cfg.train.manifest, cfg.train.batch_size, cfg.train.stage1_steps = str(manifest), 2, 2
    cfg.train.pool_per_task = 1
    for k, v in data.items():
        setattr(cfg.data, k, v)
    return cfg


SOUND_ONLY = {"t2a": 0.5, "t2a_mix": 0.3, "edit_add": 0.2}


def test_sound_only_corpus_trains_when_speech_tasks_have_probability_zero(tmp_path):
    cfg = _cfg(_sound_manifest(tmp_path), task_probs=SOUND_ONLY)
    manifest, stream = build_stream(cfg, FrameMeanCodec())
    assert scheduled_tasks(stream.schedule) == ["t2a", "t2a_mix", "edit_add"]
    for step in range(4):
        batch = stream.batch(step)
        assert batch.task in SOUND_ONLY
        assert batch.z.shape[0] == 2 and batch.z.shape[2] == C


def test_speech_tasks_in_the_schedule_still_fail_at_start_up(tmp_path):
    cfg = _cfg(_sound_manifest(tmp_path))  # the paper table: needs speech, genders, speakers
    with pytest.raises(NotEnoughDataError, match="speech"):
        build_stream(cfg, FrameMeanCodec())


def test_manifest_rows_follow_the_data_validation_rules(tmp_path):
    path = _sound_manifest(tmp_path, silent=True)
    manifest, _ = build_stream(_cfg(path, task_probs=SOUND_ONLY), FrameMeanCodec())
    assert sorted(r.id for r in manifest.rows) == ["s0", "s1", "s2", "s3"]  # s4: 0.2 s < 0.3 s min, and the silent clip
    assert manifest.skipped.total == 2
    manifest, _ = build_stream(_cfg(path, task_probs=SOUND_ONLY, min_seconds=0.1, silence_dbfs=-100.0),
                               FrameMeanCodec())
    assert sorted(r.id for r in manifest.rows) == ["quiet", "s0", "s1", "s2", "s3", "s4"]
    rate_rule = _cfg(path, task_probs=SOUND_ONLY, require_sample_rate=True)
    rate_rule.audio.mel.sample_rate = 16000  # files are at 8 kHz: every row is skipped -> clear error
    with pytest.raises(ValueError, match="usable"):
        build_stream(rate_rule, SimpleNamespace(sample_rate=16000, hop_length=HOP, encode=None))


@pytest.mark.bad_input
def test_training_rows_must_stay_inside_the_manifest_folder_or_a_data_root(tmp_path, monkeypatch):
    from unison.data.manifests import ManifestError, read_rows

    monkeypatch.delenv("UNISON_DATA_ROOT", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    inside = _sound_manifest(data)
    rows = [ManifestRow(r.id, f"../data/{r.path}", r.duration, r.kind, r.text) for r in read_rows(inside)]
    escaping = write_manifest(tmp_path / "elsewhere" / "manifest.jsonl", rows)
    with pytest.raises(ManifestError, match=r"line 1 \(row 's0'\) field 'path': '\.\./data/s0.wav'.*--data-root"):
        build_stream(_cfg(escaping, task_probs=SOUND_ONLY), FrameMeanCodec())
    manifest, _ = build_stream(_cfg(escaping, task_probs=SOUND_ONLY), FrameMeanCodec(), roots=[data])
    assert len(manifest.rows) == 4


def test_holdout_rows_stay_out_of_the_training_pool_and_the_stage2_table_is_recorded(tmp_path):
    from unison.data.manifests import held_out
    from unison.train.run import stage2_table

    seconds = tuple(1.0 + 0.05 * i for i in range(12))
    manifest = _sound_manifest(tmp_path, seconds=seconds)
    held = [f"s{i}" for i in range(12) if held_out(f"s{i}", 3)]
    assert 0 < len(held) < 12  # the crc32 rule holds some out, not all
    _, stream = build_stream(_cfg(manifest, task_probs=SOUND_ONLY, holdout_every=3), FrameMeanCodec())
    pooled = {r.id for r in stream.synth.pool.sounds}
    assert pooled == {f"s{i}" for i in range(12)} - set(held)
    _, everything = build_stream(_cfg(manifest, task_probs=SOUND_ONLY), FrameMeanCodec())
    assert len(everything.synth.pool.sounds) == 12
    assert stage2_table(stream) == pytest.approx(SOUND_ONLY)


def test_init_from_reads_the_weights_and_latent_statistics_it_fine_tunes(tmp_path):
    from unison import checkpoint as ck
    from unison.train.run import initial_dit, read_init_checkpoint

    cfg = UnisonConfig()  # a small DiT (the sizes of this folder's conftest.tiny_config)
    m = cfg.model
    m.name, m.hidden, m.heads, m.depth, m.latent_channels, m.input_mlp_hidden, m.llm_layers, m.llm_hidden = \
        "test", 32, 2, 2, 4, 64, 4, 16
    cfg.llm.num_layers, cfg.llm.hidden_size, cfg.audio.vae.latent_channels = 4, 16, 4
    trained = initial_dit(cfg)
    for p in trained.parameters():
        p.data.add_(1.0)
    C = cfg.model.latent_channels
    path = ck.save_checkpoint(tmp_path / "base.safetensors", trained.state_dict(), cfg, step=70,
                              latent_stats={"mean": torch.arange(C, dtype=torch.float32), "std": torch.ones(C)})
    (state, stats), record = read_init_checkpoint(path)
    model = initial_dit(cfg)
    ck.check_state_dict(model.state_dict(), state, path)
    model.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), trained.state_dict().values()))
    assert torch.equal(stats.mean, torch.arange(C, dtype=torch.float32))
    assert record["step"] == 70 and len(record["sha256"]) == 64 and record["path"] == str(path)
