"""Fit the mel VAE (MMAudio's module tree, the width of the configured audio preset) on a corpus.

Used for the tiny profile, whose VAE has no published weights: mels of the corpus clips (the
audio preset's front end, e.g. HiFi-GAN's 22.05 kHz natural-log mels) -> random crops -> L1
reconstruction of the log mel + a small KL to N(0, I). The per-bin normalisation buffers
(data_mean / data_std) are set from the corpus mels first. Output: a plain state dict (name ->
tensor, weight norm live) in MMAudio's .pth layout, which ``load_vae`` reads with
``audio.vae.path=...``; plus a JSON report (held-out mel L1). ``resynthesized_speech`` gives the
held-out speech back through vocoder and VAE + vocoder, for an evaluator to score (the tiny
checkpoint's WER: checkpoints/tiny/resynthesis_wer.py).
"""
from __future__ import annotations

import json
import logging
import math
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from unison.audio.mel import MelSpectrogram
from unison.audio.vae import MMAudioVAE
from unison.config import AudioConfig
from unison.core.audio import read_mono
from unison.core.files import atomic_path, atomic_write_text

log = logging.getLogger(__name__)


@dataclass
class VAEFitConfig:
    steps: int = 1000
    batch_size: int = 8
    crop_frames: int = 64  # mel frames per crop (even; the VAE halves time)
    lr: float = 1e-3
    warmup_steps: int = 50
    kl_weight: float = 1e-4
    grad_clip: float = 1.0
    holdout_every: int = 20  # every N-th clip (by a stable hash of its id) is held out for evaluation
    seed: int = 0
    log_every: int = 50
    # Share of crops drawn from kind=sound clips (the rest from speech); 0 = every clip equally likely.
    # The mini corpus is ~83 % speech by clip count, so uniform sampling fits sound effects poorly.
    sound_fraction: float = 0.0


@dataclass
class VAEFitReport:
    steps: int
    params: int
    train_clips: int
    heldout_clips: int
    final_train_l1: float
    heldout_mel_l1: float  # mean |log mel - reconstruction| over held-out clips (posterior mean)
    heldout_mel_l1_zero: float  # the same for a constant per-bin mean prediction (a floor to beat)
    wall_s: float
    cpu_s: float
    wer: dict = field(default_factory=dict)  # filled in by an evaluator of resynthesized_speech


def _held_out(row_id: str, every: int) -> bool:
    return zlib.crc32(row_id.encode()) % every == 0


def load_mels(manifest_path: str | Path, audio: AudioConfig, holdout_every: int, roots: Sequence[Path] = ()):
    """(train (row, mel, wave path), held-out (row, mel, wave path)): log mels (n_mels, frames) of
    every manifest clip. ``roots``: data roots the manifest's rows may point into."""
    from unison.data.manifests import load_manifest

    manifest = load_manifest(manifest_path, roots=roots)
    mel = MelSpectrogram(audio.mel)
    train, held = [], []
    for row in manifest.rows:
        wave = read_mono(manifest.path_of(row), audio.mel.sample_rate)[0]
        n = (wave.shape[0] // (2 * audio.mel.hop_length)) * 2 * audio.mel.hop_length
        if n < 4 * audio.mel.hop_length:
            continue
        with torch.no_grad():
            m = mel(torch.from_numpy(np.ascontiguousarray(wave[:n], dtype=np.float32))[None])[0]  # (n_mels, F)
        (held if _held_out(row.id, holdout_every) else train).append((row, m, manifest.path_of(row)))
    if not train:
        raise ValueError(f"{manifest_path}: no usable clips to fit the VAE on")
    return train, held


def clip_weights(kinds: list[str], sound_fraction: float) -> np.ndarray | None:
    """Sampling probability of each training clip: None (uniform) or sound clips sharing
    ``sound_fraction`` of the mass equally, the other clips the rest."""
    if not 0.0 <= sound_fraction < 1.0:
        raise ValueError(f"sound_fraction must be in [0, 1), got {sound_fraction}")
    if sound_fraction == 0.0:
        return None
    is_sound = np.array([k == "sound" for k in kinds])
    if not is_sound.any() or is_sound.all():
        raise ValueError(f"sound_fraction={sound_fraction} needs both sound and other clips in the corpus; "
                         f"it has {int(is_sound.sum())} sound clips of {len(kinds)} (use --sound-fraction 0)")
    w = np.where(is_sound, sound_fraction / is_sound.sum(), (1 - sound_fraction) / (~is_sound).sum())
    return w / w.sum()


def _crop_batch(mels: list[torch.Tensor], cfg: VAEFitConfig, rng: np.random.Generator,
                weights: np.ndarray | None = None) -> torch.Tensor:
    out = []
    picks = rng.choice(len(mels), size=cfg.batch_size, p=weights) if weights is not None else \
        rng.integers(len(mels), size=cfg.batch_size)  # uniform draws kept as before (same crops per seed)
    for i in picks:
        m = mels[int(i)]
        if m.shape[1] < cfg.crop_frames:  # pad with the clip's quietest value (silence level)
            m = torch.nn.functional.pad(m, (0, cfg.crop_frames - m.shape[1]), value=float(m.min()))
        start = int(rng.integers(0, m.shape[1] - cfg.crop_frames + 1))
        out.append(m[:, start:start + cfg.crop_frames])
    return torch.stack(out)  # (B, n_mels, crop)


def fit_vae(manifest_path: str | Path, audio: AudioConfig, out_path: str | Path,
            cfg: VAEFitConfig = VAEFitConfig(), roots: Sequence[Path] = ()) -> VAEFitReport:
    """Fit, save the state dict atomically to ``out_path`` (+ ``.json`` report beside it)."""
    if cfg.crop_frames % 2:
        raise ValueError(f"crop_frames must be even (the VAE halves time), got {cfg.crop_frames}")
    t0, c0 = time.perf_counter(), time.process_time()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    train_rows, held = load_mels(manifest_path, audio, cfg.holdout_every, roots)
    weights = clip_weights([r.kind for r, _, _ in train_rows], cfg.sound_fraction)
    train = [m for _, m, _ in train_rows]
    log.info("VAE fit: %d train clips, %d held out (mels in %.1f s)", len(train), len(held), time.perf_counter() - t0)
    vae = MMAudioVAE(audio.vae)
    allm = torch.cat(train, dim=1)  # (n_mels, all frames)
    vae.data_mean.copy_(allm.mean(dim=1).view(1, -1, 1))
    vae.data_std.copy_(allm.std(dim=1).clamp_min(1e-3).view(1, -1, 1))
    params = sum(p.numel() for p in vae.parameters())
    opt = torch.optim.AdamW(vae.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.0)

    def lr_at(s: int) -> float:  # warm-up then cosine to 10 %
        if s < cfg.warmup_steps:
            return (s + 1) / cfg.warmup_steps
        p = (s - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(cfg.seed)
    from tqdm import tqdm

    recent: list[float] = []
    vae.train()
    for step in tqdm(range(cfg.steps), desc="vae", unit="step", dynamic_ncols=True):
        x = _crop_batch(train, cfg, rng, weights)
        rec, post = vae(x, sample_posterior=True, generator=gen)
        l1 = (rec - x).abs().mean()
        loss = l1 + cfg.kl_weight * post.kl().mean()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"VAE fit: non-finite loss at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        recent = (recent + [float(l1.detach())])[-50:]
        if (step + 1) % cfg.log_every == 0:
            log.info("VAE step %d: mel L1 %.4f", step + 1, sum(recent) / len(recent))
    vae.eval()
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        torch.save({k: v.detach().clone() for k, v in vae.state_dict().items()}, tmp)
    l1, l1_zero = heldout_l1(vae, [m for _, m, _ in held])
    report = VAEFitReport(cfg.steps, params, len(train), len(held), sum(recent) / max(1, len(recent)), l1, l1_zero,
                          time.perf_counter() - t0, time.process_time() - c0)
    atomic_write_text(out_path.with_suffix(".json"),
                      json.dumps({"fit": asdict(cfg), "report": asdict(report), "audio": _audio_dict(audio)}, indent=2))
    log.info("VAE saved to %s: held-out mel L1 %.4f (constant-mean floor %.4f)", out_path, l1, l1_zero)
    return report


def _audio_dict(audio: AudioConfig) -> dict:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.structured(audio))


@torch.no_grad()
def reconstruct(vae: MMAudioVAE, mel: torch.Tensor) -> torch.Tensor:
    """(n_mels, F) with F even -> reconstruction from the posterior mean, same shape."""
    return vae.decode(vae.encode(mel[None]).mean)[0]


@torch.no_grad()
def heldout_l1(vae: MMAudioVAE, mels: list[torch.Tensor]) -> tuple[float, float]:
    """Mean absolute log-mel error over all held-out frames, and that of predicting data_mean."""
    err = base = frames = 0.0
    for m in mels:
        m = m[:, : m.shape[1] // 2 * 2]
        err += float((reconstruct(vae, m) - m).abs().sum())
        base += float((vae.data_mean[0] - m).abs().sum())
        frames += m.numel()
    return err / max(frames, 1), base / max(frames, 1)


@torch.no_grad()
def resynthesized_speech(vae: MMAudioVAE | None, audio: AudioConfig, held: list, n_clips: int,
                         vocoder=None) -> tuple[list[str], dict]:
    """The first ``n_clips`` held-out English speech clips with a transcript (``held`` as load_mels
    returns it), three ways: the original wave, the vocoder on the true mel, the vocoder on the
    VAE's reconstruction (not when ``vae`` is None) -> (transcripts, {"original" | "vocoder" |
    "vae+vocoder": [mono float32 wave at audio.mel.sample_rate]}). ``vocoder``: the one to use
    (default: built from ``audio.vocoder``)."""
    from unison.audio.vocoder import build_vocoder

    vocoder = (vocoder if vocoder is not None else build_vocoder(audio.vocoder, audio.mel)).eval()
    speech = [h for h in held if h[0].kind == "speech" and h[0].language == "en" and h[0].text][:n_clips]
    texts, waves = [], {"original": [], "vocoder": [], "vae+vocoder": []}
    for row, m, path in speech:
        m = m[:, : m.shape[1] // 2 * 2]
        waves["original"].append(read_mono(path, audio.mel.sample_rate)[0])
        waves["vocoder"].append(vocoder(m[None])[0].numpy())
        if vae is not None:
            waves["vae+vocoder"].append(vocoder(reconstruct(vae, m)[None])[0].numpy())
        texts.append(row.text)
    return texts, waves
