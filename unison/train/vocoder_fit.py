"""Fit the small Vocos vocoder (``unison.audio.vocoder.vocos``) on a corpus, for the audio preset's
mel front end (e.g. tiny22k), so it drops in behind that preset's VAE without retraining it.

Data: every manifest clip is read once at the mel's rate, trimmed to whole hops (training clips
shorter than a crop are zero-padded to one). A step draws ``batch_size`` crops of ``crop_frames``
frames (a share ``sound_fraction`` from sound clips), some played faster or slower (speed
perturbation by resampling), each with a random gain, and takes the front end's log mel of each
crop as the input: real (mel, wave) pairs. The draws come from a generator seeded by (seed,
step), so a batch is a pure function of the step: resume restores weights, optimizer, scheduler
and step, and the continued run is bitwise identical to an uninterrupted one (same thread count).
Held-out clips (and their whole-clip mels, as inference sees them) are only evaluated.

Objective: L1 between the log mels (the preset's own front end) of the generated and the real
crop, plus the multi-resolution STFT loss (spectral convergence + log magnitude; auraloss'
implementation), ``mel_weight`` and ``stft_weight``. No adversarial term (CPU budget).

Run folder (``--out``): ``state.pt`` (weights_only-loadable: model, optimizer, scheduler, step,
fit config; written atomically every ``ckpt_every`` steps and at the end) and ``metrics.jsonl``.
At the end the weights go to ``--export`` (safetensors with arch, mel and fit metadata) with a
JSON report beside it: held-out mel L1 of the resynthesis and its constant-mean floor, and
optionally the faster-whisper-base WER of resynthesised held-out English speech (the VAE fit's
code path: original, vocoder, VAE + vocoder).
"""
from __future__ import annotations

import json
import logging
import math
import time
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from unison.audio.mel import MelSpectrogram
from unison.audio.vocoder.vocos import VocosArch, VocosGenerator, VocosVocoder, save_vocos
from unison.config import AudioConfig
from unison.core.files import atomic_write_bytes, atomic_write_text

log = logging.getLogger(__name__)

STATE = "state.pt"
METRICS = "metrics.jsonl"


@dataclass
class VocoderFitConfig:
    # generator shape (VocosArch; n_mels / n_fft / hop come from the audio preset's mel)
    dim: int = 192
    intermediate_dim: int = 576
    num_layers: int = 8
    # optimisation
    steps: int = 6000
    batch_size: int = 16
    crop_frames: int = 64  # mel frames per crop (64 * 256 = 16384 samples, Vocos' training length)
    lr: float = 1e-3
    warmup_steps: int = 200
    min_lr_ratio: float = 0.05  # cosine decay to lr * min_lr_ratio
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    mel_weight: float = 1.0
    stft_weight: float = 1.0
    # data
    holdout_every: int = 10  # every N-th clip (stable hash of its id) held out; 10 contains the VAE fit's 20
    sound_fraction: float = 0.5  # share of crops from kind=sound clips (0 = every clip equally likely)
    # Augmentation (real pairs: the input mel is computed from the augmented crop). With probability
    # speed_prob a crop is played at a speed s drawn log-uniformly from [1/speed_max, speed_max]
    # (resampled, so pitch and tempo scale by s); every crop gets a gain drawn uniformly in dB from
    # [gain_db_min, gain_db_max], capped so its peak stays <= 0.99. The corpus has 90 training sound
    # clips: without it the held-out sounds were vocoded far worse than the training ones.
    speed_prob: float = 0.5
    speed_max: float = 1.5
    gain_db_min: float = -12.0
    gain_db_max: float = 6.0
    seed: int = 0
    log_every: int = 50
    ckpt_every: int = 500

    def arch(self, audio: AudioConfig) -> VocosArch:
        m = audio.mel
        if m.win_length != m.n_fft:
            raise ValueError(f"the vocos iSTFT uses win_length = n_fft; the mel has {m.win_length} != {m.n_fft}")
        return VocosArch(n_mels=m.n_mels, dim=self.dim, intermediate_dim=self.intermediate_dim,
                         num_layers=self.num_layers, n_fft=m.n_fft, hop_length=m.hop_length)


@dataclass
class VocoderFitReport:
    steps: int
    params: int
    train_clips: int
    heldout_clips: int
    final_train_loss: float  # mean of the last log window
    heldout_mel_l1: float  # mean |log mel(vocoder(mel)) - log mel| over all held-out frames
    heldout_mel_l1_floor: float  # the same for predicting the per-bin training mean (a floor to beat)
    wall_s: float  # this invocation (a resumed run reports its last part)
    cpu_s: float


@dataclass
class Clip:
    row: object  # manifest row (id, kind, language, text)
    path: Path
    wave: torch.Tensor  # (frames * hop,) float32
    mel: torch.Tensor  # (n_mels, frames)


def held_out(row_id: str, every: int) -> bool:
    return zlib.crc32(row_id.encode()) % every == 0


def load_clips(manifest_path: str | Path, audio: AudioConfig, holdout_every: int, min_frames: int,
               roots: Sequence[Path] = ()) -> tuple[list[Clip], list[Clip]]:
    """(train, held-out) clips: wave trimmed to whole hops (training clips zero-padded to
    ``min_frames`` frames) and the log mel of the whole clip."""
    from unison.data.manifests import load_manifest
    from unison.core.audio import read_mono

    manifest = load_manifest(manifest_path, roots=roots)
    mel = MelSpectrogram(audio.mel)
    hop = audio.mel.hop_length
    train, held = [], []
    for row in manifest.rows:
        path = manifest.path_of(row)
        wave = np.asarray(read_mono(path, audio.mel.sample_rate)[0], dtype=np.float32)
        n = wave.shape[0] // hop * hop
        if n < 4 * hop:
            continue
        w = torch.from_numpy(np.ascontiguousarray(wave[:n]))
        is_held = held_out(row.id, holdout_every)
        if n < min_frames * hop and not is_held:  # held-out clips are evaluated as they are
            w = torch.nn.functional.pad(w, (0, min_frames * hop - n))
        with torch.no_grad():
            m = mel(w[None])[0]
        (held if is_held else train).append(Clip(row, path, w, m))
    if not train:
        raise ValueError(f"{manifest_path}: no usable clips to fit the vocoder on")
    return train, held


def clip_weights(kinds: list[str], sound_fraction: float) -> np.ndarray | None:
    from unison.train.vae_fit import clip_weights as vae_clip_weights

    return vae_clip_weights(kinds, sound_fraction)


def crop_batch(clips: list[Clip], cfg: VocoderFitConfig, mel: MelSpectrogram, step: int,
               weights: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(log mel (B, n_mels, crop), wave (B, crop * hop)) for ``step``: a pure function of (seed,
    step). The mel is the front end's mel of the (augmented) crop itself."""
    import soxr

    rng = np.random.default_rng([cfg.seed, step])
    hop, sr = mel.cfg.hop_length, mel.cfg.sample_rate
    n = cfg.crop_frames * hop
    picks = rng.choice(len(clips), size=cfg.batch_size, p=weights)
    waves = []
    for i in picks:
        c = clips[int(i)]
        speed = float(np.exp(rng.uniform(-1, 1) * math.log(cfg.speed_max))) if rng.random() < cfg.speed_prob else 1.0
        gain_db = float(rng.uniform(cfg.gain_db_min, cfg.gain_db_max))
        if speed == 1.0:
            start = int(rng.integers(0, c.mel.shape[1] - cfg.crop_frames + 1)) * hop
            w = c.wave[start:start + n].numpy()
        else:  # a source span of n * speed samples, declared at sr * speed and resampled to sr
            span = int(math.ceil(n * speed)) + 64
            src = c.wave.numpy()
            if src.shape[0] < span:
                src = np.pad(src, (0, span - src.shape[0]))
            start = int(rng.integers(0, src.shape[0] - span + 1))
            w = soxr.resample(src[start:start + span], sr * speed, sr, "HQ")[:n]
            w = np.pad(w, (0, n - w.shape[0]))
        peak = float(np.abs(w).max())
        g = 10 ** (gain_db / 20)
        if peak * g > 0.99:
            g = 0.99 / max(peak, 1e-9)
        waves.append(torch.from_numpy(np.ascontiguousarray(w * g, dtype=np.float32)))
    wave = torch.stack(waves)
    with torch.no_grad():
        return mel(wave), wave


class ReconstructionLoss(torch.nn.Module):
    """mel_weight * L1(log mel) + stft_weight * multi-resolution STFT loss (auraloss: spectral
    convergence + log-magnitude L1 at FFT sizes 2, 1, 1/2 and 1/4 x the mel's n_fft, i.e.
    2048/1024/512/256 for tiny22k, hop = size / 4)."""

    def __init__(self, audio: AudioConfig, mel_weight: float, stft_weight: float):
        super().__init__()
        from auraloss.freq import MultiResolutionSTFTLoss

        self.mel = MelSpectrogram(audio.mel)
        sizes = [2 * audio.mel.n_fft, audio.mel.n_fft, audio.mel.n_fft // 2, audio.mel.n_fft // 4]
        self.stft = MultiResolutionSTFTLoss(fft_sizes=sizes, hop_sizes=[s // 4 for s in sizes], win_lengths=sizes)
        self.mel_weight, self.stft_weight = mel_weight, stft_weight

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        mel_l1 = (self.mel(fake) - self.mel(real)).abs().mean()
        stft = self.stft(fake[:, None], real[:, None])
        loss = self.mel_weight * mel_l1 + self.stft_weight * stft
        return loss, {"mel_l1": float(mel_l1.detach()), "stft": float(stft.detach())}


def lr_lambda(cfg: VocoderFitConfig):
    def f(s: int) -> float:  # linear warm-up, then cosine to min_lr_ratio
        if s < cfg.warmup_steps:
            return (s + 1) / cfg.warmup_steps
        p = min(1.0, (s - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p))

    return f


def initial_generator(cfg: VocoderFitConfig, audio: AudioConfig) -> VocosGenerator:
    torch.manual_seed(cfg.seed)
    return VocosGenerator(cfg.arch(audio))


# Fields that may differ between a run and its resume (they do not change the trajectory).
_RESUMABLE_CHANGES = {"log_every", "ckpt_every"}


def _save_state(out: Path, step: int, gen, opt, sched, cfg: VocoderFitConfig, mel) -> None:
    import io

    buf = io.BytesIO()
    torch.save({"step": step, "model": gen.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "fit": asdict(cfg), "mel": asdict(mel)}, buf)
    atomic_write_bytes(out / STATE, buf.getvalue())


def _load_state(out: Path, gen, opt, sched, cfg: VocoderFitConfig, mel) -> int:
    from unison.core.weights import load_weights_file

    fix = f"delete {out / STATE} to start afresh, or pass another --out"
    state = load_weights_file(out / STATE, f"vocoder fit state of {out}", fix)
    saved = state.get("fit", {}) if isinstance(state, dict) else {}
    diff = {k: (saved.get(k), v) for k, v in asdict(cfg).items() if k not in _RESUMABLE_CHANGES and saved.get(k) != v}
    if diff:
        shown = ", ".join(f"{k}: run {a!r} vs now {b!r}" for k, (a, b) in sorted(diff.items()))
        raise ValueError(f"{out} was started with other fit settings ({shown}); resume with the same settings, "
                         f"or {fix}")
    # The mel front end decides what the generator learns to invert: a resume under another audio
    # preset (same n_mels, so the weights would load) would silently train on a different target.
    saved_mel = state.get("mel")
    if saved_mel != asdict(mel):
        theirs = "not recorded (an older run)" if saved_mel is None else \
            ", ".join(f"{k}={saved_mel.get(k)!r}" for k in sorted(asdict(mel)) if saved_mel.get(k) != asdict(mel)[k])
        raise ValueError(f"{out} was started with another mel front end ({theirs}); resume with the audio preset "
                         f"it was started with (e.g. profile=tiny), or {fix}")
    gen.load_state_dict(state["model"], strict=True)
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    return int(state["step"])


def _truncate_metrics(path: Path, step: int) -> None:
    if path.is_file():
        keep = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
        atomic_write_text(path, "".join(ln + "\n" for ln in keep))


def train_generator(train: list[Clip], audio: AudioConfig, cfg: VocoderFitConfig, out: str | Path,
                    stop_at: int | None = None, progress: bool = True) -> VocosGenerator:
    """Run (or resume) the fit in the run folder ``out`` up to ``stop_at`` (default cfg.steps)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gen = initial_generator(cfg, audio)
    opt = torch.optim.AdamW(gen.parameters(), lr=cfg.lr, betas=(0.8, 0.99), weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg))
    step = _load_state(out, gen, opt, sched, cfg, audio.mel) if (out / STATE).is_file() else 0
    if step:
        log.info("vocoder fit: resumed from %s at step %d", out / STATE, step)
    _truncate_metrics(out / METRICS, step)
    stop = cfg.steps if stop_at is None else min(stop_at, cfg.steps)
    weights = clip_weights([c.row.kind for c in train], cfg.sound_fraction)
    loss_fn = ReconstructionLoss(audio, cfg.mel_weight, cfg.stft_weight)
    from tqdm import tqdm

    window: list[dict] = []
    gen.train()
    bar = tqdm(total=stop, initial=step, desc="vocoder", unit="step", dynamic_ncols=True, disable=not progress)
    t_last = time.perf_counter()
    while step < stop:
        mel, real = crop_batch(train, cfg, loss_fn.mel, step, weights)
        loss, parts = loss_fn(gen(mel), real)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"vocoder fit: non-finite loss at step {step}; the last state file is kept")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gen.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        step += 1
        bar.update(1)
        window.append({"loss": float(loss.detach()), **parts})
        if step % cfg.log_every == 0 or step == stop:
            row = {"step": step, "lr": sched.get_last_lr()[0], "s_per_step": (time.perf_counter() - t_last) / len(window),
                   **{k: sum(w[k] for w in window) / len(window) for k in window[0]}}
            with (out / METRICS).open("a") as f:
                f.write(json.dumps(row) + "\n")
            log.info("vocoder step %d: loss %.4f (mel L1 %.4f, stft %.4f)", step, row["loss"], row["mel_l1"], row["stft"])
            window, t_last = [], time.perf_counter()
        if step % cfg.ckpt_every == 0 or step == stop:
            _save_state(out, step, gen, opt, sched, cfg, audio.mel)
    bar.close()
    return gen.eval()


@torch.no_grad()
def heldout_mel_l1(vocoder, clips: list[Clip], audio: AudioConfig, train_mean: torch.Tensor) -> tuple[float, float]:
    """Mean |log mel of the resynthesis - log mel| over all held-out frames, and that of predicting
    the per-bin training mean."""
    mel = MelSpectrogram(audio.mel)
    err = base = n = 0.0
    for c in clips:
        fake = mel(vocoder(c.mel[None]))[0]
        err += float((fake - c.mel).abs().sum())
        base += float((train_mean[:, None] - c.mel).abs().sum())
        n += c.mel.numel()
    return err / max(n, 1), base / max(n, 1)


def fit_vocoder(manifest_path: str | Path, audio: AudioConfig, out: str | Path, export: str | Path | None,
                cfg: VocoderFitConfig = VocoderFitConfig(), stop_at: int | None = None,
                roots: Sequence[Path] = (),
                progress: bool = True) -> VocoderFitReport | None:
    """Fit (resuming from ``out``), then export the weights and a report when the run is complete."""
    t0, c0 = time.perf_counter(), time.process_time()
    train, held = load_clips(manifest_path, audio, cfg.holdout_every, cfg.crop_frames, roots)
    log.info("vocoder fit: %d train clips, %d held out (mels in %.1f s)", len(train), len(held), time.perf_counter() - t0)
    gen = train_generator(train, audio, cfg, out, stop_at, progress)
    done = _step_of(Path(out))
    if done < cfg.steps:
        log.info("vocoder fit stopped at step %d of %d; run again to continue", done, cfg.steps)
        return None
    vocoder = VocosVocoder(gen.requires_grad_(False), audio.mel, name="vocos (fit)")
    train_mean = torch.cat([c.mel for c in train], dim=1).mean(dim=1)
    l1, floor = heldout_mel_l1(vocoder, held, audio, train_mean)
    metrics = [json.loads(ln) for ln in (Path(out) / METRICS).read_text().splitlines() if ln.strip()]
    report = VocoderFitReport(cfg.steps, sum(p.numel() for p in gen.parameters()), len(train), len(held),
                              metrics[-1]["loss"] if metrics else float("nan"), l1, floor,
                              time.perf_counter() - t0, time.process_time() - c0)
    log.info("vocoder fit: held-out mel L1 %.4f (constant-mean floor %.4f)", l1, floor)
    if export is not None:
        from unison.checkpoint import git_hash

        save_vocos(export, gen, audio.mel, extra={"fit": asdict(cfg), "git": git_hash() or "",
                                                  "report": asdict(report)})
        atomic_write_text(Path(export).with_suffix(".json"),
                          json.dumps({"fit": asdict(cfg), "report": asdict(report)}, indent=2) + "\n")
        log.info("vocoder saved to %s", export)
    return report


def _step_of(out: Path) -> int:
    from unison.core.weights import load_weights_file

    return int(load_weights_file(out / STATE, f"vocoder fit state of {out}")["step"])


def config_from_args(args) -> VocoderFitConfig:
    return VocoderFitConfig(**{f.name: getattr(args, f.name) for f in fields(VocoderFitConfig)})


# ------------------------------------------------------------------------------------------------
# `unison train-vocoder`


def add_arguments(p) -> None:
    from unison.data.cli import add_data_root_argument

    p.add_argument("--manifest", required=True, type=Path, help="corpus manifest (JSONL)")
    p.add_argument("--out", required=True, type=Path, help="run folder (state.pt, metrics.jsonl); resumes if it has one")
    p.add_argument("--export", type=Path, default=None,
                   help="when the fit is complete, write the weights here (.safetensors; report beside it, .json)")
    p.add_argument("--stop-at", type=int, default=None, help="stop at this step (resume later with the same command)")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    add_data_root_argument(p)
    for f in fields(VocoderFitConfig):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    p.add_argument("overrides", nargs="*", help="hydra overrides selecting the audio preset, e.g. profile=tiny")


def run(args) -> int:
    from unison.config import load_config
    from unison.data.manifests import manifest_file

    if args.threads:
        torch.set_num_threads(args.threads)
    audio = load_config(args.overrides).audio
    cfg = config_from_args(args)
    manifest_file(args.manifest)  # a missing manifest fails before any work
    report = fit_vocoder(args.manifest, audio, args.out, args.export, cfg, stop_at=args.stop_at,
                         roots=args.data_root,
                         progress=not args.no_progress)
    if report is not None:
        print(json.dumps(asdict(report), indent=2))
    return 0
