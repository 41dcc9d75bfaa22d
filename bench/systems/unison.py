"""A UNISON checkpoint (any config) as a bench system.

Checkpoint: ``--system unison:<path>``, ``--system unison --system-arg ckpt=<path>``, or the
environment variable UNISON_CHECKPOINT (what .github/workflows/gpu-regress.yml sets). It is loaded
once, lazily, through unison.pipeline.UnisonPipeline. item.task is a unison task-table name (t2a,
tts, zs_tts, t2as, timed, edit_*, sis_*) and the instruction is the text prompt; editing tasks get
item.source, zero-shot TTS item.reference. Each item's noise seed is
unison.core.seeds.item_seed(suite, item.id, run seed), so outputs ignore batch size and order.
Sampler steps / cfg: ``--system-arg steps= / cfg=`` first, then the suite's ``generation`` block,
then the checkpoint's own sample config; the values used are in ``signature()`` with the
checkpoint sha256 and its recorded config. Other ``key.sub=value`` system arguments are config
overrides for the pipeline (e.g. ``llm.path=/models/qwen``, ``llm.cache_dir=...``).
"""
from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from bench.item import Item
from bench.systems.base import Generated, ItemError, System
from bench.systems.seeding import SeededRun
from unison.core.seeds import SEED_RULE
from unison.core.signal import fit_length

log = logging.getLogger(__name__)

CHECKPOINT_ENV = "UNISON_CHECKPOINT"
FIT_RULE = "pipeline output (whole latent frames) cropped / zero-padded at the end to round(item.seconds * sr)"


class UnisonSystem(SeededRun, System):
    name = "unison"
    batch_size = 8  # items per generate() call; each is sampled and yielded on its own

    def __init__(self, ckpt: str | None = None, device: str | None = None, dtype: str = "float32",
                 steps: int | str | None = None, cfg: float | str | None = None, solver: str | None = None,
                 **overrides: str):
        from unison.checkpoint import read_metadata

        path = ckpt or os.environ.get(CHECKPOINT_ENV)
        if not path:
            raise ValueError(f"system 'unison' needs a checkpoint: --system unison:<path>, --system-arg ckpt=<path> "
                             f"or the environment variable {CHECKPOINT_ENV}")
        self.ckpt = Path(path).expanduser()
        self.meta = read_metadata(self.ckpt)  # a missing or foreign file fails here, before any test set is built
        bad = [k for k in overrides if "." not in k]
        if bad:
            raise ValueError(f"system 'unison': unknown arguments {bad}; known: ckpt, device, dtype, steps, cfg, solver, "
                             "and config overrides written as section.key=value")
        self.overrides = dict(overrides)
        self.device, self.dtype = device, dtype
        self.steps_arg = int(steps) if steps is not None else None
        self.cfg_arg = float(cfg) if cfg is not None else None
        self.solver = solver
        self._pipe = None
        self._sig: dict[str, Any] | None = None
        self._ckpt_sig: dict[str, Any] | None = None

    # -- settings
    def sampler(self) -> dict[str, Any]:
        sample = self.meta["config"].get("sample", {})
        steps = next((v for v in (self.steps_arg, self.suite_setting("steps"), sample.get("steps")) if v is not None),
                     None)  # not `or`: steps=0 must reach the pipeline's check, not fall back to a default
        cfg = self.cfg_arg if self.cfg_arg is not None else self.suite_setting("cfg")
        cfg = sample.get("cfg_scale") if cfg is None else cfg
        return {"steps": int(steps), "cfg_scale": float(cfg), "solver": self.solver or sample.get("solver"),
                "cfg_formula": sample.get("cfg_formula")}

    def configure(self, generation: Any = None, seed: int = 0, suite: str = "", **kw: Any) -> None:
        super().configure(generation=generation, seed=seed, suite=suite, **kw)
        self._sig = None  # the sampler settings may have changed

    def signature(self) -> dict[str, Any]:
        if self._sig is None:  # the runner asks once per item; only the sampler changes with the suite
            self._sig = {**self._checkpoint_signature(), "sampler": self.sampler()}
        return self._sig

    def _checkpoint_signature(self) -> dict[str, Any]:
        """The part of the signature that is the checkpoint's own: read (and its checksum taken) once."""
        if self._ckpt_sig is None:
            from unison.checkpoint import read_config
            from unison.inputs import limits
            from unison.pipeline import overrides_to_dict
            from unison.core.weights import cached_sha256
            from unison.audio.band_keep import band_rule

            cfg = read_config(self.ckpt, overrides_to_dict([f"{k}={v}" for k, v in self.overrides.items()]))
            self._ckpt_sig = {"system": "unison", "version": "1", "checkpoint": str(self.ckpt),
                              "checkpoint_sha256": cached_sha256(self.ckpt), "step": self.meta.get("step"),
                              "git": self.meta.get("git"), "config": self.meta.get("config"),
                              "overrides": self.overrides, "input_limits": limits(cfg.sample), "dtype": self.dtype,
                              "seed_rule": SEED_RULE, "fit": FIT_RULE,
                              "super_resolution_output": band_rule(cfg.sample.sr_keep_input_band)}
        return self._ckpt_sig

    # -- generation
    def pipeline(self):
        if self._pipe is None:
            import torch

            from unison.pipeline import UnisonPipeline

            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[self.dtype]
            overrides = [f"{k}={v}" for k, v in self.overrides.items()]
            self._pipe = UnisonPipeline.from_checkpoint(self.ckpt, overrides, device=device, dtype=dtype)
        return self._pipe

    def generate(self, items: list[Item], root: Path) -> Iterator[Generated]:
        """One sampling call per item: the sampler works item by item anyway (batch invariance), and
        yielding each output lets the runner write it before the next one starts."""
        from unison.tasks import TASKS, ZERO_SHOT, get_task

        pipe, st = self.pipeline(), self.sampler()
        kw = {"steps": st["steps"], "cfg_scale": st["cfg_scale"], "solver": st["solver"]}
        sr = pipe.sample_rate
        for it in items:
            if it.task not in TASKS:  # e.g. a suite written for a task a newer task table adds
                raise ItemError(f"unavailable: task {it.task!r} is not in this UNISON build's task table "
                                f"({', '.join(TASKS)}); item {it.id!r} needs a build that has it")
            spec = get_task(it.task)
            if spec.m == ZERO_SHOT:
                if it.reference is None:
                    raise ValueError(f"item {it.id!r} ({it.task}) has no reference speaker clip")
                source = None
                if spec.needs_source:  # target-speaker extraction / voice conversion: the source follows the prefix
                    if it.source is None:
                        raise ValueError(f"item {it.id!r} ({it.task}) has no item.source")
                    source = Path(root) / it.source
                wave, _ = pipe.generate(spec.name, it.instruction, it.seconds, source=source,
                                        reference=Path(root) / it.reference, seed=self.seed_for(it), **kw)
            else:
                sources = None
                if spec.needs_source:
                    if it.source is None:
                        raise ValueError(f"editing item {it.id!r} has no item.source")
                    sources = [Path(root) / it.source]
                wave = pipe.generate_batch(spec.name, [it.instruction], it.seconds, [self.seed_for(it)],
                                           sources=sources, **kw)[0]
            yield Generated(fit_length(wave, it.samples(sr)), sr)


# What the rest of bench may know about a UNISON checkpoint, task or weights goes through these functions,
# so the model stays behind this one adapter.
def checkpoint_params(config: dict[str, Any]) -> int:
    """Trainable parameters of the model a recorded checkpoint config describes (analytic: no network
    is built, no weights are read). Memoised by the config's JSON: a leaderboard asks once per row,
    and building the config object costs 0.2 s."""
    return _params_of(json.dumps(config, sort_keys=True))


@lru_cache(maxsize=64)
def _params_of(config_json: str) -> int:
    from unison.config import from_dict
    from unison.model.size import count_from_config

    return count_from_config(from_dict(json.loads(config_json), cross_checks=False).model)


def task_description(task: str) -> str | None:
    """The task table's one-line description of a UNISON task, or None for a task it does not have."""
    from unison.tasks import TASKS

    return TASKS[task].description if task in TASKS else None


def model_weight_specs() -> list[Any]:
    """The model's own weights files (VAE, vocoder, text LLM) as unison.core.weights.WeightSpec."""
    from unison.model_weights import weight_specs

    return weight_specs()


def checkpoint_overrides(ckpt: Path, repo: Path) -> dict[str, str]:
    """Config overrides that make a checkpoint's relative VAE path work from any working directory
    when it was recorded relative to the repository root (older checkpoints; newer ones record it
    relative to their own folder, which the loader resolves by itself)."""
    from unison.checkpoint import read_metadata

    cfg = (read_metadata(ckpt).get("config") or {})
    vae = ((cfg.get("audio") or {}).get("vae") or {}).get("path")
    if isinstance(vae, str) and vae and not Path(vae).is_absolute() and not Path(vae).exists():
        for cand in (ckpt.parent / Path(vae).name, repo / vae):
            if cand.exists():
                return {"audio.vae.path": str(cand.resolve())}
    return {}
