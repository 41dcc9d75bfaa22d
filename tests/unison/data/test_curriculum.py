import numpy as np
import pytest
from scipy.stats import chisquare

from unison.data.curriculum import BatchStream, TaskSampler
from unison.tasks import TASKS, stage_probabilities

N = 20_000


def counts(sampler, steps):
    c = {}
    for s in steps:
        t = sampler.task_at(s)
        c[t] = c.get(t, 0) + 1
    return c


def assert_matches(c, probs, n):
    names = [t for t in probs if probs[t] > 0]  # tasks at probability 0 (outside the paper table) never come
    assert set(c) <= set(names)
    observed = np.array([c.get(t, 0) for t in names])
    expected = np.array([probs[t] * n for t in names])
    for t, o, e in zip(names, observed, expected):  # per-task binomial bound (4.5 sigma)
        assert abs(o - e) <= 4.5 * np.sqrt(e * (1 - probs[t])), (t, o, e)
    assert chisquare(observed, expected).pvalue > 1e-3


def test_stage2_frequencies_match_the_table():
    s = TaskSampler(stage1_steps=100, seed=3)
    assert s.stage(99) == 1 and s.stage(100) == 2
    assert_matches(counts(s, range(100, 100 + N)), stage_probabilities(2), N)


def test_stage1_is_generation_only_at_renormalised_probabilities():
    s = TaskSampler(stage1_steps=N, seed=1)
    c = counts(s, range(N))
    assert all(TASKS[t].stage1 for t in c)
    assert {t for t in TASKS if TASKS[t].stage1} == set(c)
    assert_matches(c, stage_probabilities(1), N)


def test_deterministic_resume_and_seed_dependence():
    a, b = TaskSampler(50, seed=7), TaskSampler(50, seed=7)
    assert [a.task_at(s) for s in range(300)] == [b.task_at(s) for s in reversed(range(300))][::-1]
    assert [a.task_at(s) for s in range(300)] != [TaskSampler(50, seed=8).task_at(s) for s in range(300)]
    assert a.batch_rng(12, 0).random() == b.batch_rng(12, 0).random() != a.batch_rng(12, 1).random()


def test_override_table_is_checked():
    s = TaskSampler(0, stage2_probs={"tts": 0.5, "edit_add": 0.5})
    assert set(counts(s, range(200))) == {"tts", "edit_add"}
    assert TaskSampler(10, stage2_probs={"tts": 0.5, "edit_add": 0.5}).probabilities(0) == {"tts": 1.0}
    with pytest.raises(ValueError, match="unknown task"):
        TaskSampler(0, stage2_probs={"music": 1.0})
    with pytest.raises(ValueError, match="sum to"):
        TaskSampler(0, stage2_probs={"tts": 0.5})
    with pytest.raises(ValueError, match="generation tasks only"):
        TaskSampler(10, stage2_probs={"edit_add": 1.0})


class RecordingSynth:
    """Stands in for Synthesizer: records what it was asked for."""

    def __init__(self):
        self.calls = []

    def make_batch(self, task, batch_size, rng):
        self.calls.append((task, batch_size, rng.integers(1 << 30)))
        return self.calls[-1]


def test_stream_gives_one_task_per_step_on_every_rank():
    sampler, synth = TaskSampler(5, seed=0), RecordingSynth()
    stream = BatchStream(sampler, synth, batch_size=4)
    for step in range(20):
        r0, r1 = stream.batch(step, 0), stream.batch(step, 1)
        assert r0[0] == r1[0] == sampler.task_at(step) and r0[1] == 4
        assert r0[2] != r1[2]  # ranks draw different items
        assert stream.batch(step, 0) == r0  # resume: the same step gives the same batch


def test_build_schedule_from_config():
    from unison.config import load_config
    from unison.data.curriculum import build_schedule

    cfg = load_config(["train.stage1_steps=3", "train.seed=9", "+data.task_probs.tts=0.5",
                       "+data.task_probs.denoise=0.5"])
    s = build_schedule(cfg)
    assert s.task_for(0) == "tts" and s.probabilities(3) == {"tts": 0.5, "denoise": 0.5}
    assert s.task_for(100) == TaskSampler(3, 9, {"tts": 0.5, "denoise": 0.5}).task_at(100)
