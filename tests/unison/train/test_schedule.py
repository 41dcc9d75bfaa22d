import math

import pytest
import torch

from unison.train.schedule import WarmupCosine, build_scheduler


def test_warmup_then_cosine_shape():
    f = WarmupCosine(warmup_steps=10, total_steps=110, min_ratio=0.1)
    assert [f(s) for s in range(3)] == pytest.approx([0.1, 0.2, 0.3])
    assert f(9) == pytest.approx(1.0) and f(10) == pytest.approx(1.0)  # peak at the end of warm-up
    assert f(60) == pytest.approx(0.1 + 0.9 * 0.5)  # halfway through the cosine
    assert f(110) == pytest.approx(0.1) and f(500) == pytest.approx(0.1)
    after = [f(s) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(after, after[1:]))  # monotone decay after warm-up
    assert f(35) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.25)))


def test_scheduler_drives_optimizer_lr_and_saves_plain_state():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.AdamW([p], lr=1e-4)
    sched = build_scheduler(opt, warmup_steps=2000, total_steps=300_000)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4 / 2000)
    for _ in range(1999):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4)
    state = sched.state_dict()
    assert state["lr_lambdas"][0] == {"warmup": 2000, "total": 300_000, "min_ratio": 0.0}


def test_bad_schedule_is_a_clear_error():
    with pytest.raises(ValueError, match="warmup_steps"):
        WarmupCosine(100, 10)
