"""Fit the mel VAE (MMAudio's module tree, the width of the configured audio preset) on a corpus.

Used for the tiny profile, whose VAE has no published weights: mels of the corpus clips (the
audio preset's front end, e.g. HiFi-GAN's 22.05 kHz natural-log mels) -> random crops -> L1
reconstruction of the log mel + a small KL to N(0, I). The per-bin normalisation buffers
(data_mean / data_std) are set from the corpus mels first. Output: a plain state dict (name ->
tensor, weight norm live) in MMAudio's .pth layout, which ``load_vae`` reads with
``audio.vae.path=...``; plus a JSON report (held-out mel L1, and optionally the WER of speech
resynthesized through VAE + vocoder).
"""
from __future__ import annotations

import json
import logging
import math
import os
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
    wer: dict = field(default_factory=dict)


def _held_out(row_id: str, every: int) -> bool:
    return zlib.crc32(row_id.encode()) % every == 0


def load_mels(manifest_path: str | Path, audio: AudioConfig, holdout_every: int, roots: Sequence[Path] = ()):
    """(train (row, mel, wave path), held-out (row, mel, wave path)): log mels (n_mels, frames) of
    every manifest clip. ``roots``: data roots the manifest's rows may point into."""
    from unison.data.manifests import load_manifest
    from unison.data.sources.audio_io import load_mono

    manifest = load_manifest(manifest_path, roots=roots)
    mel = MelSpectrogram(audio.mel)
    train, held = [], []
    for row in manifest.rows:
        wave = load_mono(manifest.path_of(row), audio.mel.sample_rate)
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
            cfg: VAEFitConfig = VAEFitConfig(), wer_clips: int = 0, roots: Sequence[Path] = ()) -> VAEFitReport:
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
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    torch.save({k: v.detach().clone() for k, v in vae.state_dict().items()}, tmp)
    os.replace(tmp, out_path)
    l1, l1_zero = heldout_l1(vae, [m for _, m, _ in held])
    report = VAEFitReport(cfg.steps, params, len(train), len(held), sum(recent) / max(1, len(recent)), l1, l1_zero,
                          time.perf_counter() - t0, time.process_time() - c0)
    if wer_clips:
        report.wer = resynthesis_wer(vae, audio, held, wer_clips)
    report_path = out_path.with_suffix(".json")
    tmp = report_path.with_name(f".{report_path.name}.tmp")
    tmp.write_text(json.dumps({"fit": asdict(cfg), "report": asdict(report), "audio": _audio_dict(audio)}, indent=2))
    os.replace(tmp, report_path)
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


def resynthesis_wer(vae: MMAudioVAE | None, audio: AudioConfig, held: list, n_clips: int, vocoder=None) -> dict:
    """WER (faster-whisper base, bench's extractor) of held-out English speech: original audio,
    vocoder only (original mel -> vocoder) and VAE + vocoder (mel -> VAE -> vocoder; skipped when
    ``vae`` is None). ``vocoder``: the one to use (default: built from ``audio.vocoder``)."""
    import jiwer
    import soxr

    from bench.extractors.faster_whisper_base import FasterWhisperBase
    from bench.metrics.asr import normalize
    from unison.audio.vocoder import build_vocoder
    from unison.data.sources.audio_io import load_mono

    asr = FasterWhisperBase()
    reason = asr.available()
    if reason:
        return {"unavailable": reason}
    vocoder = (vocoder if vocoder is not None else build_vocoder(audio.vocoder, audio.mel)).eval()
    speech = [h for h in held if h[0].kind == "speech" and h[0].language == "en" and h[0].text][:n_clips]
    refs, hyps = [], {"original": [], "vocoder": [], "vae+vocoder": []}
    sr = audio.mel.sample_rate
    for row, m, path in speech:
        m = m[:, : m.shape[1] // 2 * 2]
        with torch.no_grad():
            waves = {"original": load_mono(path, sr), "vocoder": vocoder(m[None])[0].numpy()}
            if vae is not None:
                waves["vae+vocoder"] = vocoder(reconstruct(vae, m)[None])[0].numpy()
        for name, wave in waves.items():
            wave16 = soxr.resample(np.asarray(wave, dtype=np.float32), sr, asr.sample_rate, "HQ")
            hyps[name].append(normalize(asr.transcribe(wave16, "en"), "en"))
        refs.append(normalize(row.text, "en"))
    out = {"clips": len(refs), "asr": "faster-whisper-base"}
    for name, hs in hyps.items():
        if hs:
            out[name] = float(jiwer.wer(refs, hs))
    return out
