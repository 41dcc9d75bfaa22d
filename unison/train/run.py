"""`unison train` and `unison train-vae`: build everything a run needs from the hydra config.

    unison train profile=tiny train.manifest=runs/mini_corpus/manifest.jsonl audio.vae.path=vae.pth --out runs/tiny
    torchrun --nproc-per-node 8 -m unison.cli train profile=paper_d24 train.manifest=... --out runs/d24
    unison train-vae profile=tiny --manifest runs/mini_corpus/manifest.jsonl --out checkpoints/tiny/vae.pth

Order: config -> process group -> codec (VAE + vocoder) -> latent statistics (posterior means over
the corpus, computed once on rank 0 and broadcast; read back from the checkpoint on resume) ->
clip pool + synthesizer -> batch stream (curriculum) -> text encoder -> DiT -> Trainer.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import fields
from pathlib import Path

import torch

from unison.core.exit_codes import EXIT_OK
from unison.data.cli import add_data_root_argument
from unison.data.manifests import manifest_file

log = logging.getLogger(__name__)


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="run directory (checkpoints, metrics.jsonl); resumes if it has one")
    p.add_argument("--steps", type=int, default=None, help="stop after this many more steps (default: to train.total_steps)")
    p.add_argument("--export", type=Path, default=None,
                   help="write the inference checkpoint (train.export weights) here at the end")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    add_data_root_argument(p)
    p.add_argument("overrides", nargs="*", help="hydra overrides: profile=tiny train.manifest=... audio.vae.path=...")


def compute_latent_stats(codec, manifest, seconds: float, max_clips: int):
    """Per-channel mean/std of the VAE posterior means over (up to ``max_clips``) corpus clips."""
    import numpy as np

    from unison.audio.latent_stats import LatentStats
    from unison.core.audio import read_mono

    rows = manifest.rows[:max_clips] if max_clips else manifest.rows
    limit = int(seconds * codec.sample_rate)

    def means():
        for row in rows:
            wave = read_mono(manifest.path_of(row), codec.sample_rate)[0][:limit]
            if wave.shape[0] < 4 * codec.hop_length:
                continue
            yield codec.posterior_means(torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None])[0]

    stats = LatentStats.compute(means())
    log.info("latent stats from %d clips: mean %s, std %s", len(rows), [round(float(x), 3) for x in stats.mean],
             [round(float(x), 3) for x in stats.std])
    return stats


def build_stream(cfg, codec, env_rank_seed: int = 0, roots=()):
    """Manifest (validated by the config's data rules; its rows may point into ``roots``) -> clip
    pool -> synthesizer -> batch stream. The synthesizer checks at start-up only the tasks the
    schedule can draw (probability > 0)."""
    from unison.data.loader import synthesis_config, training_rows, validation_rules
    from unison.data.manifests import load_manifest
    from unison.data.synthesis import ClipPool, Synthesizer
    from unison.train.data import PooledStream, SynthesisStream

    tc, dc = cfg.train, cfg.data
    manifest = load_manifest(tc.manifest, validation_rules(cfg), roots=roots)  # logs the skipped rows and why
    manifest = training_rows(cfg, manifest)  # without the rows data.holdout_every keeps for evaluation
    pool = ClipPool(manifest, codec.sample_rate, cfg.audio.seconds, cache_mb=dc.cache_mb)
    schedule = _schedule(cfg)
    synth = Synthesizer.from_codec(pool, codec, synthesis_config(cfg), tasks=scheduled_tasks(schedule))
    if tc.pool_per_task > 0:
        return manifest, PooledStream(synth, schedule, tc.batch_size, tc.pool_per_task, tc.seed)
    return manifest, SynthesisStream(synth, schedule, tc.batch_size, tc.seed)


def scheduled_tasks(schedule) -> list[str] | None:
    """Tasks with a non-zero probability in either stage of ``schedule`` (None = every task)."""
    return list(schedule.tasks()) if hasattr(schedule, "tasks") else None


def _schedule(cfg):
    """The curriculum's task schedule (unison.data.curriculum: stage 1 / stage 2, data.task_probs)."""
    from unison.data.curriculum import build_schedule

    return build_schedule(cfg)


def initial_dit(cfg):
    """The DiT a run starts from: built from cfg.model right after seeding torch with train.seed
    (so every rank, and unison.train.init_checkpoint, get the same step-0 weights)."""
    from unison.model.dit import build_dit

    torch.manual_seed(cfg.train.seed)
    return build_dit(cfg.model)


def stage2_table(stream) -> dict[str, float] | None:
    """The stage-2 task probabilities a stream's curriculum draws from (recorded in checkpoints)."""
    schedule = getattr(stream, "schedule", None) or getattr(stream, "sampler", None)
    if schedule is None or not hasattr(schedule, "probabilities"):
        return None
    return {t: round(p, 12) for t, p in schedule.probabilities(schedule.stage1_steps).items()}


def read_init_checkpoint(path):
    """train.init_from: an inference checkpoint -> ((state dict, latent statistics or None), what to
    record about it in the run's checkpoints)."""
    from unison.audio.latent_stats import LatentStats
    from unison.checkpoint import load_checkpoint
    from unison.core.weights import cached_sha256

    ref = load_checkpoint(path)
    stats = LatentStats(ref.latent_mean, ref.latent_std) if ref.latent_mean is not None else None
    log.info("fine-tune: initial weights and latent statistics from %s (step %s)", path, ref.step)
    return (ref.state_dict, stats), {"path": str(path), "sha256": cached_sha256(path), "step": ref.step}


def run_train(args: argparse.Namespace) -> int:
    from unison.audio.codec import build_codec
    from unison.checkpoint import check_state_dict
    from unison.config import load_config
    from unison.model.dit import count_parameters
    from unison.text.llm import build_text_encoder
    from unison.train import distributed as D
    from unison.train.trainer import Trainer, latest_checkpoint

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.overrides)
    if not cfg.train.manifest:
        raise ValueError("train.manifest is not set: pass train.manifest=/path/to/manifest.jsonl "
                         "(e.g. the mini corpus: unison data mini-corpus --out runs/mini_corpus)")
    manifest_file(cfg.train.manifest)  # a missing manifest fails before the codec is built
    env = D.init_distributed()
    device = D.default_device(env)
    t0, c0 = time.perf_counter(), time.process_time()
    codec = build_codec(cfg.audio, None).to(device)
    stats = None
    ck = latest_checkpoint(args.out)
    if ck is not None:
        from unison.audio.latent_stats import LatentStats
        from unison.checkpoint import read_metadata

        s = read_metadata(ck / "model.safetensors")["latent_stats"]
        stats = LatentStats(torch.tensor(s["mean"]), torch.tensor(s["std"])) if s else None
    manifest, stream = build_stream(cfg, codec, roots=args.data_root)
    meta, init = {"stage2_task_probs": stage2_table(stream)}, None
    if cfg.train.init_from:  # fine-tune: the latent space (statistics) of the weights it starts from
        init, meta["init_from"] = read_init_checkpoint(cfg.train.init_from)
        stats = stats if stats is not None else init[1]
    if stats is None:
        stats = compute_latent_stats(codec, manifest, cfg.audio.seconds, cfg.train.stats_clips) if env.is_main else None
        stats = D.broadcast_object(stats)
    codec.stats = stats  # the synthesizer encodes through the normalised codec from here on
    model = initial_dit(cfg)  # identical initial weights on every rank
    if init is not None:  # a resumed run then overwrites them with its own checkpoint's
        check_state_dict(model.state_dict(), init[0], cfg.train.init_from)
        model.load_state_dict(init[0])
    log.info("DiT %s: %.2f M trainable parameters", cfg.model.name, count_parameters(model) / 1e6)
    trainer = Trainer(cfg, model, stream, build_text_encoder(cfg.llm), args.out, latent_stats=stats, env=env,
                      device=device, progress=not args.no_progress, meta=meta)
    result = trainer.train(args.steps)
    if args.export:
        trainer.export(args.export)
    if env.is_main:
        summary = {"step": result.step, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                   "train_wall_s": result.wall_s, "train_cpu_s": result.cpu_s,
                   "first_loss": result.losses[0] if result.losses else None,
                   "last_loss_mean20": sum(result.losses[-20:]) / max(1, len(result.losses[-20:])),
                   "checkpoint": str(result.checkpoint), "export": str(args.export) if args.export else None}
        print(json.dumps(summary, indent=2))
    D.shutdown()
    return EXIT_OK


def add_vae_arguments(p: argparse.ArgumentParser) -> None:
    from unison.train.vae_fit import VAEFitConfig

    p.add_argument("--manifest", required=True, type=Path, help="corpus manifest (JSONL)")
    p.add_argument("--out", required=True, type=Path, help="output VAE state dict (.pth); report beside it (.json)")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    add_data_root_argument(p)
    for f in fields(VAEFitConfig):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    p.add_argument("overrides", nargs="*", help="hydra overrides selecting the audio preset, e.g. profile=tiny")


def run_train_vae(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from unison.config import load_config
    from unison.train.vae_fit import VAEFitConfig, fit_vae

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.overrides)
    fit = VAEFitConfig(**{f.name: getattr(args, f.name) for f in fields(VAEFitConfig)})
    manifest_file(args.manifest)
    report = fit_vae(args.manifest, cfg.audio, args.out, fit, roots=args.data_root)
    print(json.dumps(asdict(report), indent=2))
    return EXIT_OK
