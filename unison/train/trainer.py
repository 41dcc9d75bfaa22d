"""The UNISON flow-matching trainer (docs/design.md §3, §6).

One optimizer step: a task-homogeneous batch from the stream -> frozen-LLM features of its
instructions (text dropped to the empty prompt with p = flow.text_dropout) -> t ~ flow.t_distribution,
eps ~ N(0, I), z_t = (1 - t) z + t eps -> v = DiT([z_t || z_s || m], t, text) under bf16 autocast
-> masked MSE against u = eps - z -> AdamW (betas, weight decay) with grad clipping, warm-up + cosine
lr, EMA every ``ema_every`` steps.

Checkpoints live in ``out_dir/step_XXXXXXXX/`` (written as a temp dir, renamed when complete; the
``latest`` file names the newest complete one; the newest ``keep_checkpoints`` are kept):
  model.safetensors   raw weights   } unison.checkpoint format (config, latent stats, step, git hash)
  ema.safetensors     EMA weights   }
  state.pt            optimizer, scheduler, EMA counters, step, main RNG states (weights_only-loadable)
  rng_rank{r}.pt      each rank's training generator state
Resume restores all of it; since a batch is a pure function of (step, rank), the data position is
the step and the continued run is bitwise identical on CPU.
"""
from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from unison.checkpoint import load_checkpoint, load_into, save_checkpoint
from unison.config import UnisonConfig
from unison.core.files import atomic_dir, atomic_path, atomic_write_text
from unison.core.weights import load_weights_file
from unison.flow import drop_text, flow_loss, noised, sample_t, target_velocity
from unison.tasks import build_input
from unison.train import distributed as D
from unison.train.ema import EMA
from unison.train.schedule import build_scheduler

log = logging.getLogger(__name__)

LATEST = "latest"
METRICS = "metrics.jsonl"
RESUME_FIX = ("The run folder holds a damaged or foreign checkpoint: delete that step_* folder to resume from an "
              "earlier one, or pass another --out to start afresh")


class NonFiniteLossError(FloatingPointError):
    """Training stopped on a NaN/inf loss or gradient; the last good checkpoint is left untouched."""

    def __init__(self, step: int, task: str, ids: list, what: str = "loss", value: float = float("nan")):
        self.step, self.task, self.ids, self.what = step, task, ids, what
        shown = ids if len(ids) <= 8 else ids[:8] + [f"... ({len(ids) - 8} more)"]
        super().__init__(f"non-finite {what} ({value}) at step {step}, task {task!r}, batch ids {shown}; "
                         "training stopped, the last good checkpoint is kept")


@dataclass
class TrainResult:
    step: int
    losses: list[float] = field(default_factory=list)  # per step run in this call (rank mean)
    tasks: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    checkpoint: Path | None = None


# ------------------------------------------------------------------------------------------------
# RNG state in a weights_only-loadable form (tensors, ints, lists, dicts)


def _numpy_state() -> dict:
    st = np.random.get_state()  # ('MT19937', keys ndarray, pos, has_gauss, cached_gaussian)
    return {"keys": torch.from_numpy(st[1].astype(np.int64)), "pos": int(st[2]), "has_gauss": int(st[3]),
            "gauss": float(st[4])}


def _set_numpy_state(d: dict) -> None:
    np.random.set_state(("MT19937", d["keys"].numpy().astype(np.uint32), d["pos"], d["has_gauss"], d["gauss"]))


def _python_state() -> list:
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _set_python_state(d: list) -> None:
    random.setstate((d[0], tuple(d[1]), d[2]))


def _save_torch(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    """The newest complete checkpoint directory of a run (None for a fresh run)."""
    out = Path(out_dir)
    pointer = out / LATEST
    if not pointer.is_file():
        return None
    ck = out / pointer.read_text().strip()
    if not (ck / "state.pt").is_file():
        raise FileNotFoundError(f"{pointer} names {ck}, which is incomplete or missing; remove {pointer} to "
                                "start over or point it at a complete step_* directory")
    return ck


# ------------------------------------------------------------------------------------------------


class Trainer:
    """Trains ``model`` on ``stream`` batches; see module docstring. Under torchrun, call
    unison.train.distributed.init_distributed() first and pass its DistEnv."""

    def __init__(self, cfg: UnisonConfig, model: nn.Module, stream, text_encoder, out_dir: str | Path, *,
                 latent_stats=None, env: D.DistEnv = D.DistEnv(), device: str | torch.device = "cpu",
                 progress: bool = True, meta: dict | None = None):
        tc = cfg.train
        if tc.export not in ("ema", "model"):
            raise ValueError(f"train.export must be 'ema' or 'model', got {tc.export!r}")
        self.cfg, self.env, self.device = cfg, env, torch.device(device)
        self.stream, self.text_encoder, self.latent_stats = stream, text_encoder, latent_stats
        self.out_dir = Path(out_dir)
        self.meta = dict(meta or {})  # recorded in every checkpoint's metadata (e.g. init_from, task table)
        self.progress = progress and env.is_main
        self.module = model.to(self.device)  # the bare DiT (EMA, checkpoints)
        self.layers = list(self.module.text_layers())
        # What runs forward/backward: text projection + DiT as one module call, so DDP/FSDP see (and
        # reduce / unshard) every parameter inside their wrapped forward.
        self.model = D.wrap_model(FlowModel(self.module), tc.parallel, env)
        self.fsdp = env.enabled and tc.parallel == "fsdp"
        decay, no_decay = [], []  # built after wrapping: FSDP replaces parameters by sharded ones
        for name, p in self.module.named_parameters():
            if p.requires_grad:  # no weight decay on biases, norm gains and other 1-D parameters
                (no_decay if p.dim() < 2 else decay).append(p)
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=tc.lr, betas=tuple(tc.betas), eps=1e-8)
        self.scheduler = build_scheduler(self.optimizer, tc.warmup_steps, tc.total_steps, tc.min_lr_ratio)
        self.ema = EMA(self.module, tc.ema_decay, tc.ema_every)
        self.gen = torch.Generator(device="cpu").manual_seed(tc.seed * 1009 + env.rank)  # t, eps, text dropout
        self.step = 0  # optimizer steps done
        self._empty: tuple[torch.Tensor, torch.Tensor] | None = None

    # -- text ---------------------------------------------------------------------------------
    def _text(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.text_encoder.encode(list(prompts), self.layers)
        return feats.hidden, feats.mask  # (B, n_layers, S, H), (B, S)

    def _empty_text(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._empty is None:  # the unconditional (CFG) features: the empty prompt
            self._empty = self._text([""])
        return self._empty

    # -- one step -----------------------------------------------------------------------------
    def compute_loss(self, batch) -> torch.Tensor:
        z = batch.z.to(self.device, torch.float32)  # (B, T, C)
        z_s = batch.z_s.to(self.device, torch.float32) if batch.z_s is not None else None
        B = z.shape[0]
        hidden, mask = self._text(batch.instructions)
        eh, em = self._empty_text()
        hidden, mask, _ = drop_text(hidden, mask, eh, em, self.cfg.flow.text_dropout, generator=self.gen)
        t = sample_t(B, self.cfg.flow.t_distribution, generator=self.gen)  # (B,)
        eps = torch.randn(z.shape, generator=self.gen)  # (B, T, C)
        t, eps = t.to(self.device), eps.to(self.device)
        x = build_input(noised(z, eps, t), z_s, batch.m)  # (B, T, 2C+1)
        with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.cfg.train.bf16):
            v = self.model(x, t, hidden.to(self.device), mask.to(self.device))  # (B, T, C) float32
        return flow_loss(v, target_velocity(z, eps), batch.loss_mask.to(self.device))

    def train_step(self, step: int) -> tuple[float, str]:
        """Optimizer step number ``step + 1``; returns (rank-mean loss, task)."""
        batch = self.stream.batch(step, self.env.rank)
        self.model.train()
        loss = self.compute_loss(batch)
        mean_loss = float(D.all_reduce_mean(loss.detach()))
        if D.any_rank(not math.isfinite(float(loss.detach()))):
            raise NonFiniteLossError(step + 1, batch.task, [list(i) for i in batch.ids], "loss", mean_loss)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip)
        if D.any_rank(not math.isfinite(float(norm))):
            raise NonFiniteLossError(step + 1, batch.task, [list(i) for i in batch.ids], "gradient norm", float(norm))
        self.optimizer.step()
        self.scheduler.step()
        self.step = step + 1
        self.ema.update(self.module, self.step)
        return mean_loss, batch.task

    # -- loop -------------------------------------------------------------------------------------
    def train(self, steps: int | None = None, *, resume: bool = True) -> TrainResult:
        """Run until ``train.total_steps`` (or ``steps`` more steps), resuming from ``out_dir`` when it
        holds a checkpoint. Checkpoints every ``ckpt_every`` steps and at the end."""
        tc = self.cfg.train
        if resume:
            ck = latest_checkpoint(self.out_dir)
            if ck is not None:
                self.load(ck)
        end = tc.total_steps if steps is None else min(tc.total_steps, self.step + steps)
        result = TrainResult(self.step)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        window = _Window()
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=end, initial=self.step, desc="train", unit="step", dynamic_ncols=True)
        for step in range(self.step, end):
            loss, task = self.train_step(step)
            result.losses.append(loss)
            result.tasks.append(task)
            window.add(task, loss, self.stream.batch_size * self.env.world_size)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", task=task, lr=f"{self.scheduler.get_last_lr()[0]:.2e}")
            if self.step % tc.log_every == 0 or self.step == end:
                self._log_metrics(window)
                window = _Window()
            if self.step % tc.ckpt_every == 0 or self.step == end:
                result.checkpoint = self.save()
        if bar is not None:
            bar.close()
        result.step, result.wall_s, result.cpu_s = self.step, time.perf_counter() - wall0, time.process_time() - cpu0
        return result

    def _log_metrics(self, w: "_Window") -> None:
        if not self.env.is_main or not w.steps:
            return
        wall = time.perf_counter() - w.t0
        row = {"step": self.step, "lr": self.scheduler.get_last_lr()[0],
               "loss": sum(w.loss_sum.values()) / w.steps,
               "loss_by_task": {k: w.loss_sum[k] / w.count[k] for k in sorted(w.count)},
               "samples_per_s": w.samples / wall, "steps_per_s": w.steps / wall,
               "cpu_s": time.process_time() - w.c0, "wall_s": wall, "world_size": self.env.world_size}
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / METRICS, "a") as f:
            f.write(json.dumps(row) + "\n")

    # -- checkpoints --------------------------------------------------------------------------
    def _model_state(self) -> dict[str, torch.Tensor]:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

            full = get_model_state_dict(self.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
            return {k.removeprefix("dit."): v for k, v in full.items()}
        return {k: v.detach().cpu() for k, v in self.module.state_dict().items()}

    def _optim_state(self) -> dict:
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

            return get_optimizer_state_dict(self.model, self.optimizer,
                                            options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        return self.optimizer.state_dict()

    def _ema_weights(self, model_state: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """The model state with the EMA values in place of the trainable parameters; pass an already
        gathered ``model_state`` to avoid a second (under FSDP: collective, whole-model) gather."""
        state = dict(model_state) if model_state is not None else self._model_state()
        for name, value in self.ema.shadow.items():
            full = value.full_tensor() if hasattr(value, "full_tensor") else value  # FSDP: a collective, every rank
            if self.fsdp and name not in state:  # FSDP full state dicts (cpu_offload) live on rank 0 only
                continue
            state[name] = full.detach().cpu().to(state[name].dtype)
        return state

    def save(self) -> Path:
        """Write a complete checkpoint of the current step (all ranks call this)."""
        name = f"step_{self.step:08d}"
        final = self.out_dir / name
        model_state, optim_state = self._model_state(), self._optim_state()
        ema_state = self._ema_weights(model_state)
        rng = {"rank": self.env.rank, "train_gen": self.gen.get_state()}
        rngs = D.gather_objects(rng)
        if self.env.is_main:
            with atomic_dir(final, replace=True) as tmp:  # a re-save of the same step (e.g. a resume with 0 steps) replaces it
                extra = {**self.meta, "run": {"world_size": self.env.world_size, "batch_size": self.stream.batch_size}}
                save_checkpoint(tmp / "model.safetensors", model_state, self.cfg, step=self.step,
                                latent_stats=self.latent_stats, extra={**extra, "weights": "model"})
                save_checkpoint(tmp / "ema.safetensors", ema_state, self.cfg, step=self.step,
                                latent_stats=self.latent_stats, extra={**extra, "weights": "ema"})
                for r in rngs:
                    _save_torch(r, tmp / f"rng_rank{r['rank']}.pt")
                state = {"step": self.step, "world_size": self.env.world_size, "optimizer": optim_state,
                         "scheduler": self.scheduler.state_dict(), "ema_num_updates": self.ema.num_updates,
                         "torch_rng": torch.get_rng_state(), "numpy_rng": _numpy_state(), "python_rng": _python_state()}
                _save_torch(state, tmp / "state.pt")
            atomic_write_text(self.out_dir / LATEST, name + "\n")
            self._prune()
            log.info("checkpoint %s", final)
        D.barrier()
        return final

    def _prune(self) -> None:
        done = sorted(p for p in self.out_dir.glob("step_*") if p.is_dir())
        for old in done[:-max(1, self.cfg.train.keep_checkpoints)]:
            shutil.rmtree(old, ignore_errors=True)

    def load(self, ck: str | Path) -> None:
        """Restore model, optimizer, scheduler, EMA, step and RNG states from a checkpoint dir."""
        ck = Path(ck)
        state = load_weights_file(ck / "state.pt", f"training state of {ck}", RESUME_FIX)
        if state["world_size"] != self.env.world_size:
            raise ValueError(f"{ck} was written by {state['world_size']} processes, this run has "
                             f"{self.env.world_size}; resume with the same --nproc-per-node")
        saved_lr = state["scheduler"].get("lr_lambdas") or []
        now_lr = [vars(f) for f in self.scheduler.lr_lambdas]
        if any(s and s != n for s, n in zip(saved_lr, now_lr)):  # LambdaLR would silently keep the saved one
            raise ValueError(f"{ck} was trained with the lr schedule {saved_lr[0]}, this run's config gives "
                             f"{now_lr[0]} (train.warmup_steps / train.total_steps / min lr ratio); resume with "
                             "the same settings, or start a new run in another --out from the exported weights")
        weights = load_checkpoint(ck / "model.safetensors")
        ema = load_checkpoint(ck / "ema.safetensors")
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import (StateDictOptions, set_model_state_dict,
                                                                 set_optimizer_state_dict)

            opts = StateDictOptions(full_state_dict=True)
            set_model_state_dict(self.model, {f"dit.{k}": v for k, v in weights.state_dict.items()}, options=opts)
            set_optimizer_state_dict(self.model, self.optimizer, state["optimizer"], options=opts)
        else:
            load_into(self.module, weights.state_dict, ck / "model.safetensors")
            self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        for name in self.ema.shadow:
            src = ema.state_dict[name].float()
            dst = self.ema.shadow[name]
            if hasattr(dst, "full_tensor"):  # FSDP: keep our shard of the full tensor
                from torch.distributed.tensor import distribute_tensor

                dst.copy_(distribute_tensor(src, dst.device_mesh, dst.placements))
            else:
                dst.copy_(src)
        self.ema.num_updates = int(state["ema_num_updates"])
        rng = load_weights_file(ck / f"rng_rank{self.env.rank}.pt", f"RNG state of {ck}", RESUME_FIX)
        self.gen.set_state(rng["train_gen"])
        torch.set_rng_state(state["torch_rng"])
        _set_numpy_state(state["numpy_rng"])
        _set_python_state(state["python_rng"])
        if self.latent_stats is None and weights.latent_mean is not None:
            from unison.audio.latent_stats import LatentStats

            self.latent_stats = LatentStats(weights.latent_mean, weights.latent_std)
        self.step = int(state["step"])
        if self.env.is_main:
            _truncate_metrics(self.out_dir / METRICS, self.step)
        log.info("resumed from %s at step %d", ck, self.step)

    def export(self, path: str | Path) -> Path:
        """The inference checkpoint (EMA or raw weights per train.export), unison.checkpoint format."""
        state = self._ema_weights() if self.cfg.train.export == "ema" else self._model_state()
        if not self.env.is_main:
            return Path(path)
        return save_checkpoint(path, state, self.cfg, step=self.step, latent_stats=self.latent_stats,
                               extra={**self.meta, "weights": self.cfg.train.export})


class FlowModel(nn.Module):
    """(x, t, text hidden, text mask) -> velocity: prepare_text + forward of the DiT in one call."""

    def __init__(self, dit: nn.Module):
        super().__init__()
        self.dit = dit

    def forward(self, x: torch.Tensor, t: torch.Tensor, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.dit(x, t, self.dit.prepare_text(hidden, mask))


class _Window:
    """Per-log-interval accumulators (loss per task, samples, times)."""

    def __init__(self):
        self.loss_sum: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.steps = self.samples = 0
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    def add(self, task: str, loss: float, samples: int) -> None:
        self.loss_sum[task] += loss
        self.count[task] += 1
        self.steps += 1
        self.samples += samples


def _truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop metric rows written after the checkpoint (they will be written again)."""
    if not path.is_file():
        return
    keep = [line for line in path.read_text().splitlines() if line.strip() and json.loads(line)["step"] <= step]
    atomic_write_text(path, "".join(line + "\n" for line in keep))
