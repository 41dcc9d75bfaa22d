import json
import math

import pytest
import torch

from unison.checkpoint import load_checkpoint
from unison.train.trainer import NonFiniteLossError, latest_checkpoint

from conftest import ToyStream  # noqa: E402 - the test doubles live beside the tests


def test_loss_decreases(make_trainer):
    tr = make_trainer(total_steps=60)
    res = tr.train()
    first, last = sum(res.losses[:10]) / 10, sum(res.losses[-10:]) / 10
    assert res.step == 60 and all(math.isfinite(x) for x in res.losses)
    assert last < 0.7 * first, (first, last)
    assert set(res.tasks) == {"t2a", "zs_tts"}


def test_bf16_autocast_step_runs_finite(make_trainer):
    tr = make_trainer(total_steps=3, warmup_steps=1, bf16=True)
    res = tr.train()
    assert res.step == 3 and all(math.isfinite(x) for x in res.losses)


def _params(tr):
    return {k: v.clone() for k, v in tr.module.state_dict().items()}


def test_resume_with_another_schedule_is_refused(make_trainer, tmp_path):
    make_trainer(out=tmp_path / "a", total_steps=8, ckpt_every=4).train(steps=4)
    longer = make_trainer(out=tmp_path / "a", total_steps=16, ckpt_every=4)  # the saved cosine ends at 8
    with pytest.raises(ValueError, match="lr schedule .*train.total_steps"):
        longer.train()


def test_resume_reproduces_next_steps_bitwise(make_trainer, tmp_path):
    straight = make_trainer(out=tmp_path / "a", total_steps=8, ckpt_every=4)
    ra = straight.train()
    first = make_trainer(out=tmp_path / "b", total_steps=8, ckpt_every=4)
    r1 = first.train(steps=4)
    assert r1.step == 4 and latest_checkpoint(tmp_path / "b").name == "step_00000004"
    del first
    resumed = make_trainer(out=tmp_path / "b", total_steps=8, ckpt_every=4)  # fresh init, then resume
    r2 = resumed.train()
    assert r2.step == 8
    assert r1.losses + r2.losses == ra.losses  # exact float equality, step by step
    pa, pb = _params(straight), _params(resumed)
    assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert all(torch.equal(straight.ema.shadow[k], resumed.ema.shadow[k]) for k in pa if k in straight.ema.shadow)
    assert straight.ema.num_updates == resumed.ema.num_updates == 4
    sa, sb = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert all(torch.equal(sa[i]["exp_avg_sq"], sb[i]["exp_avg_sq"]) for i in sa)
    assert straight.scheduler.get_last_lr() == resumed.scheduler.get_last_lr()
    # metrics of the resumed run continue the first one's rows (no duplicate steps)
    steps = [json.loads(line)["step"] for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 8


def test_checkpoint_files_and_weights_only_state(make_trainer, tmp_path):
    tr = make_trainer(out=tmp_path / "r", total_steps=6, ckpt_every=2, keep_checkpoints=2)
    tr.train()
    dirs = sorted(p.name for p in (tmp_path / "r").glob("step_*"))
    assert dirs == ["step_00000004", "step_00000006"]  # older ones pruned, newest kept
    ck = tmp_path / "r" / "step_00000006"
    state = torch.load(ck / "state.pt", weights_only=True)
    assert state["step"] == 6 and "optimizer" in state and "scheduler" in state
    assert torch.load(ck / "rng_rank0.pt", weights_only=True)["rank"] == 0
    model, ema = load_checkpoint(ck / "model.safetensors"), load_checkpoint(ck / "ema.safetensors")
    assert model.step == ema.step == 6 and model.meta["extra"]["weights"] == "model"
    diff = [k for k in model.state_dict if not torch.equal(model.state_dict[k], ema.state_dict[k])]
    assert diff  # the average lags the raw weights
    rows = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 6 and rows[-1]["samples_per_s"] > 0
    assert set(rows[-1]["loss_by_task"]) <= {"t2a", "zs_tts"} and rows[0]["lr"] > 0
    assert not list((tmp_path / "r").glob(".*tmp*"))  # no temp leftovers


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(make_trainer, tmp_path):
    tr = make_trainer(out=tmp_path / "n", total_steps=10, ckpt_every=3, stream=ToyStream(4, nan_at=4))
    with pytest.raises(NonFiniteLossError) as err:
        tr.train()
    e = err.value
    assert e.step == 5 and e.task == "t2a" and e.ids[0] == ["toy/4/0/0"]
    assert "step 5" in str(e) and "toy/4/0/0" in str(e)
    ck = latest_checkpoint(tmp_path / "n")
    assert ck.name == "step_00000003"
    assert load_checkpoint(ck / "model.safetensors").step == 3
    assert all(torch.isfinite(v).all() for v in load_checkpoint(ck / "model.safetensors").state_dict.values())


def test_export_writes_inference_checkpoint(make_trainer, tmp_path):
    tr = make_trainer(out=tmp_path / "e", total_steps=6, export="model")
    tr.train()
    path = tr.export(tmp_path / "u.safetensors")
    ck = load_checkpoint(path)
    assert ck.step == 6 and all(torch.equal(ck.state_dict[k], v) for k, v in tr.module.state_dict().items())
