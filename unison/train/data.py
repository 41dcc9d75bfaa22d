"""What the trainer consumes: one task-homogeneous batch per optimizer step, as a pure function of
(step, rank). Because no state is carried between steps, the data position of a resumed run is
just its step number, and resume is exact.

A batch follows unison.data.synthesis.Batch: task, m, z (B, T, C) target latent, z_s (B, T, C)
source latent, loss_mask (B, T), instructions, ids. Two streams:
- SynthesisStream: online synthesis, a fresh tuple set every step (the paper's pipeline);
- PooledStream: the same synthesis, but each task draws from a fixed pool of ``per_task`` batches
  made once and kept in memory (small-CPU runs, where re-encoding every step would dominate).
"""
from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import torch

from unison.tasks import TASKS, stage_probabilities

log = logging.getLogger(__name__)


class TaskSchedule(Protocol):
    def task_for(self, step: int) -> str: ...


class StageSchedule:
    """Two-stage curriculum (docs/design.md §5): generation tasks only before ``stage1_steps``, the stage-2
    mixture after; the task of step s is a seeded draw from that stage's table."""

    def __init__(self, stage1_steps: int, seed: int = 0):
        self.stage1_steps, self.seed = int(stage1_steps), int(seed)
        self._tables = {s: list(stage_probabilities(s).items()) for s in (1, 2)}

    def stage(self, step: int) -> int:
        return 1 if step < self.stage1_steps else 2

    def task_for(self, step: int) -> str:
        names, probs = zip(*self._tables[self.stage(step)])
        p = np.asarray(probs, dtype=np.float64)
        rng = np.random.default_rng([self.seed, 7, step])
        return names[int(rng.choice(len(names), p=p / p.sum()))]


class BatchStream(Protocol):
    batch_size: int

    def batch(self, step: int, rank: int = 0): ...


def _latents_only(batch):
    """Drop the waveforms (only latents are trained on) to keep pooled batches small."""
    batch.target = batch.target[:, :0]
    if batch.source is not None:
        batch.source = batch.source[:, :0]
    for meta in batch.meta:
        meta.pop("parts", None)
    return batch


class SynthesisStream:
    """Online synthesis: batch(step, rank) = synth.make_batch(schedule.task_for(step), B, rng(seed, step, rank))."""

    def __init__(self, synth, schedule: TaskSchedule, batch_size: int, seed: int = 0):
        if synth.encode is None:
            raise ValueError("the synthesizer needs an encoder (Synthesizer.from_codec) to produce latents")
        self.synth, self.schedule, self.batch_size, self.seed = synth, schedule, int(batch_size), int(seed)

    def batch(self, step: int, rank: int = 0):
        task = self.schedule.task_for(step)
        rng = np.random.default_rng([self.seed, 11, step, rank])
        with torch.no_grad():
            return _latents_only(self.synth.make_batch(task, self.batch_size, rng))


class PooledStream:
    """Per task a pool of ``per_task`` synthesized batches, built lazily and memoised; step s uses
    the task of the schedule and a seeded pick in that task's pool."""

    def __init__(self, synth, schedule: TaskSchedule, batch_size: int, per_task: int, seed: int = 0):
        if per_task < 1:
            raise ValueError(f"per_task must be >= 1, got {per_task}")
        if synth.encode is None:
            raise ValueError("the synthesizer needs an encoder (Synthesizer.from_codec) to produce latents")
        self.synth, self.schedule, self.batch_size = synth, schedule, int(batch_size)
        self.per_task, self.seed = int(per_task), int(seed)
        self._memo: dict[tuple[str, int, int], object] = {}
        self._task_index = {name: i for i, name in enumerate(TASKS)}

    def _pooled(self, task: str, k: int, rank: int):
        key = (task, k, rank)
        if key not in self._memo:
            rng = np.random.default_rng([self.seed, 13, self._task_index[task], k, rank])
            with torch.no_grad():
                self._memo[key] = _latents_only(self.synth.make_batch(task, self.batch_size, rng))
        return self._memo[key]

    def batch(self, step: int, rank: int = 0):
        task = self.schedule.task_for(step)
        k = int(np.random.default_rng([self.seed, 17, step, rank]).integers(self.per_task))
        return self._pooled(task, k, rank)
