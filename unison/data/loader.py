"""One call from the typed config to the trainer's batch stream: manifest -> clip pool ->
synthesizer (encoding with the codec) -> curriculum sampler."""
from __future__ import annotations

from pathlib import Path

import torch

from unison.config import UnisonConfig
from unison.data.curriculum import BatchStream, TaskSampler
from unison.data.manifests import ValidationRules, load_manifest
from unison.data.synthesis import ClipPool, SynthesisConfig, Synthesizer


def validation_rules(cfg: UnisonConfig) -> ValidationRules:
    d = cfg.data
    return ValidationRules(min_seconds=d.min_seconds, silence_dbfs=d.silence_dbfs,
                           sample_rate=cfg.audio.mel.sample_rate if d.require_sample_rate else None)


def build_batch_stream(cfg: UnisonConfig, manifest: str | Path, codec, device: str | torch.device = "cpu",
                       batch_size: int | None = None) -> BatchStream:
    """``codec``: an AudioCodec (or anything with .sample_rate, .hop_length, .encode(wave (B, N)) -> (B, T, C))."""
    if codec.sample_rate != cfg.audio.mel.sample_rate:
        raise ValueError(f"codec runs at {codec.sample_rate} Hz but the config's audio.mel.sample_rate is "
                         f"{cfg.audio.mel.sample_rate} Hz")
    m = load_manifest(manifest, validation_rules(cfg))
    pool = ClipPool(m, codec.sample_rate, cfg.audio.seconds, cache_mb=cfg.data.cache_mb)
    sampler = TaskSampler(cfg.train.stage1_steps, cfg.train.seed, dict(cfg.data.task_probs) or None)
    synth = Synthesizer.from_codec(pool, codec, SynthesisConfig(seconds=cfg.audio.seconds, zh_prob=cfg.data.zh_prob),
                                   device=device, tasks=sampler.tasks())
    return BatchStream(sampler, synth, batch_size or cfg.train.batch_size)
