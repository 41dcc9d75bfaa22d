"""One call from the typed config to the trainer's batch stream: manifest -> clip pool ->
synthesizer (encoding with the codec) -> curriculum sampler."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from unison.config import UnisonConfig
from unison.data.curriculum import BatchStream, TaskSampler
from unison.data.manifests import Manifest, ValidationRules, held_out, load_manifest
from unison.data.synthesis import ClipPool, SynthesisConfig, Synthesizer

log = logging.getLogger(__name__)


def validation_rules(cfg: UnisonConfig) -> ValidationRules:
    d = cfg.data
    return ValidationRules(min_seconds=d.min_seconds, silence_dbfs=d.silence_dbfs,
                           sample_rate=cfg.audio.mel.sample_rate if d.require_sample_rate else None)


def synthesis_config(cfg: UnisonConfig) -> SynthesisConfig:
    """The synthesis settings a run states in its config (data.*) and so records in its checkpoints."""
    d = cfg.data
    return SynthesisConfig(seconds=cfg.audio.seconds, zh_prob=d.zh_prob, noise_snr_db=tuple(d.noise_snr_db),
                           sr_cutoffs_hz=tuple(d.sr_cutoffs_hz), sr_min_high_db=d.sr_min_high_db, tse_sir_db=tuple(d.tse_sir_db))


def training_rows(cfg: UnisonConfig, manifest: Manifest) -> Manifest:
    """``manifest`` without the rows held out by data.holdout_every (unison.data.manifests.held_out)."""
    every = cfg.data.holdout_every
    if every <= 0:
        return manifest
    kept = [r for r in manifest.rows if not held_out(r.id, every)]
    log.info("data.holdout_every=%d: %d of %d rows held out of training", every, len(manifest.rows) - len(kept),
             len(manifest.rows))
    return Manifest(kept, manifest.root, manifest.skipped)


def build_batch_stream(cfg: UnisonConfig, manifest: str | Path, codec, device: str | torch.device = "cpu",
                       batch_size: int | None = None) -> BatchStream:
    """``codec``: an AudioCodec (or anything with .sample_rate, .hop_length, .encode(wave (B, N)) -> (B, T, C))."""
    if codec.sample_rate != cfg.audio.mel.sample_rate:
        raise ValueError(f"codec runs at {codec.sample_rate} Hz but the config's audio.mel.sample_rate is "
                         f"{cfg.audio.mel.sample_rate} Hz")
    m = training_rows(cfg, load_manifest(manifest, validation_rules(cfg)))
    pool = ClipPool(m, codec.sample_rate, cfg.audio.seconds, cache_mb=cfg.data.cache_mb)
    sampler = TaskSampler(cfg.train.stage1_steps, cfg.train.seed, dict(cfg.data.task_probs) or None)
    synth = Synthesizer.from_codec(pool, codec, synthesis_config(cfg), device=device, tasks=sampler.tasks())
    return BatchStream(sampler, synth, batch_size or cfg.train.batch_size)
