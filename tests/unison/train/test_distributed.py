"""torchrun with 2 CPU processes (gloo): DDP keeps both ranks' parameters identical; FSDP2 trains,
checkpoints (full state on rank 0) and resumes exactly."""
import os
import subprocess
import sys
from pathlib import Path

import torch

WORKER = Path(__file__).with_name("ddp_worker.py")


def _torchrun(tmp_path: Path, parallel: str, fusion: str = "deep", steps: int = 4) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           str(WORKER), str(tmp_path), parallel, fusion, str(steps)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def test_ddp_two_cpu_processes_keep_parameters_equal(tmp_path):
    proc = _torchrun(tmp_path, "ddp")
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2
    p0, p1 = r0["params"], r1["params"]
    assert set(p0) == set(p1)
    assert all(torch.equal(p0[k], p1[k]) for k in p0)  # identical after 4 all-reduced steps
    assert any(not torch.equal(p0[k], r0["initial"][k]) for k in p0)  # and they did train
    assert r0["losses"] == r1["losses"]  # the logged loss is the rank mean
    ck = tmp_path / "run" / "step_00000004"
    assert (ck / "rng_rank0.pt").is_file() and (ck / "rng_rank1.pt").is_file()
    g0 = torch.load(ck / "rng_rank0.pt", weights_only=True)["train_gen"]
    g1 = torch.load(ck / "rng_rank1.pt", weights_only=True)["train_gen"]
    assert not torch.equal(g0, g1)  # each rank draws its own t / noise


def test_ddp_trains_the_L_variant_whose_last_text_stream_feeds_nothing(tmp_path):
    """fusion=penultimate (L) has parameters without gradients; DDP must be told to find them."""
    proc = _torchrun(tmp_path, "ddp", "penultimate")
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    p0, p1 = r0["params"], r1["params"]
    assert any(k.startswith("text_input.") for k in p0)  # the L layout's shared projector is there
    assert all(torch.equal(p0[k], p1[k]) for k in p0)
    assert any(not torch.equal(p0[k], r0["initial"][k]) for k in p0 if k.startswith("text_input."))


def test_fsdp_two_cpu_processes_train_checkpoint_and_resume_exactly(tmp_path):
    from safetensors.torch import load_file

    straight, split = tmp_path / "straight", tmp_path / "split"
    straight.mkdir(), split.mkdir()
    proc = _torchrun(straight, "fsdp")  # 4 steps in one go
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = torch.load(straight / "rank0.pt", weights_only=True)
    assert r["world"] == 2 and len(r["losses"]) == 4
    assert any(not torch.equal(r["params"][k], r["initial"][k]) for k in r["params"])  # it trained
    saved = load_file(straight / "run" / "step_00000004" / "model.safetensors")  # full (unsharded) weights
    assert set(saved) == set(r["params"]) and all(torch.equal(saved[k], r["params"][k]) for k in saved)
    assert set(load_file(straight / "run" / "step_00000004" / "ema.safetensors")) == set(saved)
    for steps in (2, 2):  # 2 of the 4 steps, stop; then resume from step 2 for the last 2
        proc = _torchrun(split, "fsdp", steps=steps)
        assert proc.returncode == 0, proc.stderr[-3000:]
    resumed = torch.load(split / "rank0.pt", weights_only=True)
    assert resumed["losses"] == r["losses"][2:]  # the resumed steps see the same batches, t and noise
    assert all(torch.equal(resumed["params"][k], r["params"][k]) for k in r["params"])
