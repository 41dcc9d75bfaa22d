"""Training throughput benchmark (not a timed test): ``python -m unison.train.throughput``.

1. the tiny profile's trainer: optimizer steps/s and samples/s (batch of the config, its clip
   length, bf16 autocast as configured) on in-memory batches, so only the training step is timed;
2. D24 (or ``--model``): one forward + backward at batch 1 under bf16 autocast, 313 audio and 64
   text tokens, with analytic FLOPs (3 x the forward's: backward = 2 x forward) and the achieved
   fraction of the machine's measured bf16 matmul peak (unison.inference_efficiency's measurement).
Wall and process-CPU times are both reported: on a shared machine the CPU time is the stable one.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from unison.core.exit_codes import EXIT_OK
from unison.core.files import atomic_write_text
from unison.inference_efficiency import best_time, dit_forward_flops, matmul_peak

log = logging.getLogger(__name__)


class RandomTextFeatures:
    """Fixed random LLM features of a given length (the benchmark times the DiT, not the LLM)."""

    def __init__(self, hidden: int, tokens: int):
        self.hidden, self.tokens = hidden, tokens

    def encode(self, prompts, layers):
        g = torch.Generator().manual_seed(0)
        h = torch.randn(len(prompts), len(layers), self.tokens, self.hidden, generator=g)  # (B, n, S, H)
        mask = torch.ones(len(prompts), self.tokens, dtype=torch.bool)  # (B, S)
        if any(p == "" for p in prompts):
            mask[[i for i, p in enumerate(prompts) if p == ""]] = False
        return SimpleNamespace(hidden=h, mask=mask)


class FixedStream:
    """The same random generation batch every step (B, T, C latents)."""

    def __init__(self, batch_size: int, frames: int, channels: int):
        g = torch.Generator().manual_seed(0)
        self.batch_size = batch_size
        self._b = SimpleNamespace(task="t2a", m=0, z=torch.randn(batch_size, frames, channels, generator=g),
                                  z_s=torch.zeros(batch_size, frames, channels),
                                  loss_mask=torch.ones(batch_size, frames), instructions=["x"] * batch_size,
                                  ids=[("perf",)] * batch_size)

    def batch(self, step: int, rank: int = 0):
        return self._b


def tiny_throughput(overrides: list[str], steps: int, text_tokens: int, out_dir: Path) -> dict:
    from unison.audio.sequence import latent_length
    from unison.config import load_config
    from unison.model.dit import build_dit, count_parameters
    from unison.train.trainer import Trainer

    cfg = load_config(["profile=tiny", *overrides])
    cfg.train.warmup_steps, cfg.train.total_steps = 1, steps + 10
    frames = latent_length(cfg.audio.seconds, cfg.audio.mel.sample_rate, cfg.audio.mel.hop_length)
    torch.manual_seed(0)
    model = build_dit(cfg.model)
    tr = Trainer(cfg, model, FixedStream(cfg.train.batch_size, frames, cfg.model.latent_channels),
                 RandomTextFeatures(cfg.model.llm_hidden, text_tokens), out_dir, progress=False)
    tr.train_step(0)  # warm-up
    w0, c0 = time.perf_counter(), time.process_time()
    for s in range(1, steps + 1):
        tr.train_step(s)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    B = cfg.train.batch_size
    return {"params": count_parameters(model), "batch": B, "frames": frames, "seconds": cfg.audio.seconds,
            "bf16": cfg.train.bf16, "steps": steps, "steps_per_s": steps / wall, "samples_per_s": steps * B / wall,
            "steps_per_cpu_s": steps / cpu, "samples_per_cpu_s": steps * B / cpu}


def big_step(model_preset: str, n_audio: int, n_text: int, repeats: int) -> dict:
    """One forward + backward at batch 1 under bf16 autocast (fp32 master weights, as in training)."""
    from unison.config import load_config
    from unison.model.dit import build_dit, count_parameters
    from unison.train.trainer import FlowModel

    cfg = load_config([f"model={model_preset}"], cross_checks=False).model
    torch.manual_seed(0)
    model = FlowModel(build_dit(cfg)).train()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, n_audio, cfg.in_channels, generator=g)  # (1, T, 2C+1)
    t = torch.rand(1, generator=g)
    n_layers = len(model.dit.text_layers())
    h = torch.randn(1, n_layers, n_text, cfg.llm_hidden, generator=g)  # (1, n_layers, S, H)
    mask = torch.ones(1, n_text, dtype=torch.bool)

    def step():
        model.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            v = model(x, t, h, mask)
        v.float().pow(2).mean().backward()

    timing = best_time(step, repeats, torch.device("cpu"))
    flops = 3 * dit_forward_flops(cfg, n_audio, n_text, 1)  # backward ~ 2 x forward
    return {"model": model_preset, "params": count_parameters(model), "audio_tokens": n_audio,
            "text_tokens": n_text, "flops": flops, "step_wall_s": timing.wall, "step_cpu_s": timing.cpu,
            "flops_per_s": flops / timing.wall, "flops_per_cpu_s": flops / timing.cpu}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m unison.train.throughput", description=__doc__.splitlines()[0])
    p.add_argument("--tiny-steps", type=int, default=20)
    p.add_argument("--model", default="d24", help="model preset for the single-step measurement ('none' skips it)")
    p.add_argument("--audio-tokens", type=int, default=313)
    p.add_argument("--text-tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--matmul-sizes", type=int, nargs="+", default=[1024, 2048])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("overrides", nargs="*", help="tiny-profile overrides, e.g. audio.seconds=5 train.batch_size=8")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    import tempfile

    dev = torch.device("cpu")
    out = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    out["peak_bf16"] = matmul_peak(torch.bfloat16, args.matmul_sizes, args.repeats, dev)
    out["peak_fp32"] = matmul_peak(torch.float32, args.matmul_sizes, args.repeats, dev)
    with tempfile.TemporaryDirectory() as tmp:
        out["tiny"] = tiny_throughput(args.overrides, args.tiny_steps, args.text_tokens, Path(tmp))
    if args.model != "none":
        big = big_step(args.model, args.audio_tokens, args.text_tokens, args.repeats)
        big["fraction_of_bf16_peak"] = big["flops_per_s"] / out["peak_bf16"]["flops"]
        big["fraction_of_bf16_peak_cpu"] = big["flops_per_cpu_s"] / out["peak_bf16"]["flops_cpu"]
        out["big"] = big
    t = out["tiny"]
    print(f"matmul peak: bf16 {out['peak_bf16']['flops'] / 1e9:.1f} GFLOP/s, fp32 {out['peak_fp32']['flops'] / 1e9:.1f} "
          f"GFLOP/s ({out['threads']} threads)")
    print(f"tiny ({t['params'] / 1e6:.2f} M params, batch {t['batch']} x {t['frames']} frames, bf16={t['bf16']}): "
          f"{t['steps_per_s']:.2f} steps/s, {t['samples_per_s']:.1f} samples/s "
          f"({t['samples_per_cpu_s']:.1f} per CPU second)")
    if "big" in out:
        b = out["big"]
        print(f"{b['model']} ({b['params'] / 1e6:.1f} M) fwd+bwd batch 1, {b['audio_tokens']}+{b['text_tokens']} tokens, "
              f"bf16: {b['step_wall_s']:.2f} s wall / {b['step_cpu_s']:.2f} s CPU, {b['flops'] / 1e9:.0f} GFLOP -> "
              f"{b['fraction_of_bf16_peak']:.0%} of bf16 peak ({b['fraction_of_bf16_peak_cpu']:.0%} by CPU time)")
    if args.json:
        atomic_write_text(args.json, json.dumps(out, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
