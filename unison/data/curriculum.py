"""Two-stage curriculum with task-homogeneous batches (docs/design.md §5).

Stage 1 (steps < stage1_steps): generation tasks only (m=0 and zero-shot TTS), at the table's
probabilities renormalised. Stage 2: the full probability table. Each step's task and each
step's item randomness are pure functions of (seed, step) (and rank for the items), so a resumed
run draws exactly what the interrupted one would have; all ranks train the same task at a step.
"""
from __future__ import annotations

import math

import numpy as np

from unison.tasks import TASKS, stage_probabilities

_TASK_STREAM, _ITEM_STREAM = 0x7A5C, 0x17E4  # separate the two random streams of one step


def check_probabilities(probs: dict[str, float], what: str = "task probabilities") -> dict[str, float]:
    unknown = sorted(set(probs) - set(TASKS))
    if unknown:
        raise ValueError(f"{what}: unknown task(s) {unknown}; valid: {', '.join(TASKS)}")
    if any(p < 0 or not math.isfinite(p) for p in probs.values()):
        raise ValueError(f"{what}: probabilities must be finite and >= 0, got {probs}")
    total = sum(probs.values())
    if not total > 0:
        raise ValueError(f"{what}: at least one task needs a positive probability")
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what}: probabilities sum to {total}, not 1")
    return dict(probs)


class TaskSampler:
    """Which task each training step uses, and the random generator for its items.

    ``stage2_probs``: override of the stage-2 table ({} or None = the paper's); stage 1 always keeps
    only its generation tasks, renormalised from the stage-2 probabilities in use.
    """

    def __init__(self, stage1_steps: int, seed: int = 0, stage2_probs: dict[str, float] | None = None):
        if stage1_steps < 0:
            raise ValueError(f"stage1_steps must be >= 0, got {stage1_steps}")
        self.stage1_steps, self.seed = int(stage1_steps), int(seed)
        stage2 = check_probabilities(stage2_probs, "data.task_probs") if stage2_probs else stage_probabilities(2)
        gen_total = sum(p for t, p in stage2.items() if TASKS[t].stage1)
        if stage1_steps > 0 and gen_total <= 0:
            raise ValueError("stage 1 trains generation tasks only, but all of them have probability 0")
        stage1 = {t: p / gen_total for t, p in stage2.items() if TASKS[t].stage1 and p > 0} if gen_total > 0 else {}
        self._tables = {1: self._table(stage1), 2: self._table(stage2)}

    @staticmethod
    def _table(probs: dict[str, float]) -> tuple[list[str], np.ndarray]:
        names = [t for t in TASKS if probs.get(t, 0.0) > 0]  # the task table's order, fixed
        cdf = np.cumsum([probs[t] for t in names])
        return names, cdf / cdf[-1]

    def tasks(self) -> list[str]:
        """Every task this sampler can draw (either stage)."""
        return [t for t in TASKS if t in self._tables[1][0] or t in self._tables[2][0]]

    def stage(self, step: int) -> int:
        return 1 if step < self.stage1_steps else 2

    def probabilities(self, step: int) -> dict[str, float]:
        names, cdf = self._tables[self.stage(step)]
        return dict(zip(names, np.diff(cdf, prepend=0.0).tolist()))

    def task_at(self, step: int) -> str:
        """The task of training step ``step`` (the same on every rank)."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        names, cdf = self._tables[self.stage(step)]
        u = np.random.default_rng([self.seed, step, _TASK_STREAM]).random()
        return names[min(int(np.searchsorted(cdf, u, side="right")), len(names) - 1)]

    task_for = task_at  # the trainer's TaskSchedule protocol name

    def batch_rng(self, step: int, rank: int = 0) -> np.random.Generator:
        """Generator for the items of step ``step`` on ``rank`` (distinct per rank, reproducible)."""
        return np.random.default_rng([self.seed, step, rank, _ITEM_STREAM])


def build_schedule(cfg) -> TaskSampler:
    """The curriculum of a UnisonConfig: train.stage1_steps, train.seed, data.task_probs."""
    return TaskSampler(cfg.train.stage1_steps, cfg.train.seed, dict(cfg.data.task_probs) or None)


class BatchStream:
    """The trainer's view: ``stream.batch(step, rank)`` -> one task-homogeneous Batch for that step."""

    def __init__(self, sampler: TaskSampler, synthesizer, batch_size: int):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.sampler, self.synthesizer, self.batch_size = sampler, synthesizer, batch_size

    def batch(self, step: int, rank: int = 0):
        task = self.sampler.task_at(step)
        return self.synthesizer.make_batch(task, self.batch_size, self.sampler.batch_rng(step, rank))
