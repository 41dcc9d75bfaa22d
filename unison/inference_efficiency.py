"""`unison perf`: how close the DiT runs to the machine's matmul peak, in one run.

1. measured matmul peak (bf16 and fp32; large square matmuls, best of several);
2. one D24 forward at 313 audio + 64 text tokens, batch 2 (cond + uncond), bf16, with analytic
   FLOPs -> achieved FLOP/s as a fraction of the bf16 peak (target >= 75 %);
3. a full sampling call vs N single batched forwards (target <= 1.10x);
4. the price of batch invariance: N items sampled one per forward (what ``sample`` does) vs the
   previous single batched call, alternated in one run, on the tiny preset by default;
5. LLM features served from the on-disk cache on a repeated prompt, without loading the LLM;
6. peak memory (RSS sampled by a thread; tracemalloc does not see torch allocations).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from unison.core.exit_codes import EXIT_OK
from unison.core.files import atomic_write_text

log = logging.getLogger(__name__)

FORWARD_TARGET = 0.75
SAMPLER_TARGET = 1.10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    p.add_argument("--model", default="d24", help="model preset for the forward/sampler measurement")
    p.add_argument("--audio-tokens", type=int, default=313, help="latent frames (10 s at 16 kHz = 313)")
    p.add_argument("--text-tokens", type=int, default=64)
    p.add_argument("--steps", type=int, default=None,
                   help="sampler steps (default 100 on GPU, 4 on CPU; the ratio is per step either way)")
    p.add_argument("--matmul-sizes", type=int, nargs="+", default=None, help="square sizes for the peak")
    p.add_argument("--repeats", type=int, default=3, help="best-of count for timings")
    p.add_argument("--items-model", default="tiny", help="model preset for the per-item vs batched sampling cost")
    p.add_argument("--items", type=int, default=8, help="items in that comparison")
    p.add_argument("--llm", default="minilm", help="llm preset for the hidden-state cache check ('none' skips it)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads (default: torch's choice); on a CPU shared with other jobs "
                        "1 thread avoids stalls at every parallel region")


# ------------------------------------------------------------------------------------------------
# measurement helpers


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class Timing:
    """Best wall time and best process CPU time (seconds) over the repeats. On a CPU shared with other
    jobs the CPU time is the robust one: it only counts while this process actually runs."""

    wall: float
    cpu: float


def best_time(fn: Callable[[], Any], repeats: int, device: torch.device, warmup: int = 1) -> Timing:
    """Best wall and CPU times of ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    wall = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        _sync(device)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return Timing(wall, cpu)


class PeakRSS:
    """Peak resident memory above the starting RSS while the block runs (sampling thread)."""

    def __init__(self, interval: float = 0.02):
        import psutil

        self.proc, self.interval = psutil.Process(), interval
        self.start = self.peak = 0
        self._stop = threading.Event()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakRSS":
        self.start = self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def delta_mb(self) -> float:
        return (self.peak - self.start) / 2 ** 20


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def matmul_peak(dtype: torch.dtype, sizes: list[int], repeats: int, device: torch.device) -> dict[str, float]:
    """Best FLOP/s over large square matmuls of each size (by wall time and by CPU time)."""
    best = {"flops": 0.0, "n": 0, "flops_cpu": 0.0}
    for n in sizes:
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        t = best_time(lambda: torch.mm(a, b), repeats, device)
        rate, rate_cpu = 2 * n ** 3 / t.wall, 2 * n ** 3 / t.cpu
        log.info("matmul %s n=%d: %.1f GFLOP/s (%.1f per CPU second)", dtype, n, rate / 1e9, rate_cpu / 1e9)
        if rate > best["flops"]:
            best.update(flops=rate, n=n)
        best["flops_cpu"] = max(best["flops_cpu"], rate_cpu)
    return best


# ------------------------------------------------------------------------------------------------
# analytic FLOPs of the double-stream deep-fusion DiT (docs/design.md §1); multiply-add = 2 FLOPs


def dit_forward_flops(cfg, n_audio: int, n_text: int, batch: int) -> float:
    """Useful FLOPs of one forward (x, t, prepared text). Counts the input projection convs, every
    block's audio qkv/out/MLP, text-stream k/v (text only gives keys/values) and attention with
    audio queries over audio+text keys, and the final conv. Modulation Linear layers act on one
    vector per item and are included; the per-block text projectors W_k are in prepare_text."""
    if cfg.arch != "double" or cfg.fusion != "deep":
        raise NotImplementedError(f"analytic FLOPs are written for arch=double fusion=deep, not {cfg.arch}/{cfg.fusion}")
    d, C, k_in, k_out = cfg.hidden, cfg.latent_channels, cfg.input_kernel, cfg.final_kernel
    mlp, h_in = int(cfg.mlp_ratio * d), cfg.input_mlp_hidden
    Na, Nt = n_audio, n_text
    inp = 2 * Na * k_in * ((2 * C + 1) * d + 2 * d * h_in + h_in * d)  # conv in + SwiGLU conv MLP
    temb = 2 * (cfg.timestep_freq_dim * d + d * d)
    block = (2 * Na * d * 3 * d + 2 * Na * d * d + 2 * 2 * Na * d * mlp  # audio qkv, out, MLP
             + 2 * Nt * d * 2 * d  # text keys/values (pre-only text has no useful queries)
             + 2 * 2 * Na * (Na + Nt) * d  # scores + weighted values
             + 2 * d * 6 * d + 2 * d * 2 * d)  # audio and text adaLN modulations
    final = 2 * d * 2 * d + 2 * Na * k_out * d * C
    return float(batch * (inp + temb + cfg.depth * block + final))


def counted_flops(fn: Callable[[], Any]) -> float:
    """FLOPs torch actually dispatches (matmuls, convs, attention) for a cross-check."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return float(counter.get_total_flops())


# ------------------------------------------------------------------------------------------------


@dataclass
class PerfReport:
    device: str
    threads: int
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (quantity, value, note)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, value: Any, label: str, shown: str, note: str = "") -> None:
        self.data[key] = value
        self.rows.append((label, shown, note))

    def table(self) -> str:
        w0 = max(len(r[0]) for r in self.rows)
        w1 = max(len(r[1]) for r in self.rows)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        lines = [f"unison perf  (device={self.device}, torch threads={self.threads}, torch {torch.__version__}, "
                 f"{os.cpu_count()} CPUs, load average {load})",
                 "-" * (w0 + w1 + 40)]
        lines += [f"{a:<{w0}}  {b:>{w1}}  {c}" for a, b, c in self.rows]
        return "\n".join(lines)


def _dit_and_inputs(model_preset: str, n_audio: int, n_text: int, device: torch.device, dtype: torch.dtype):
    from unison.config import load_config
    from unison.model.dit import build_dit

    cfg = load_config([f"model={model_preset}"], cross_checks=False).model
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # build the weights directly in bf16: no fp32 copy in memory
    try:
        with torch.device(device):
            model = build_dit(cfg).eval()
    finally:
        torch.set_default_dtype(default)
    g = torch.Generator().manual_seed(0)
    B = 2  # cond + uncond
    x = torch.randn(B, n_audio, cfg.in_channels, generator=g).to(device, dtype)  # (2, T, 2C+1)
    t = torch.full((B,), 0.5, device=device)  # float32, as the sampler passes it
    n_layers = len(model.text_layers())
    feats = torch.randn(B, n_layers, n_text, cfg.llm_hidden, generator=g).to(device, dtype)  # (2, n, S, H)
    mask = torch.ones(B, n_text, dtype=torch.bool, device=device)
    return cfg, model, x, t, feats, mask


def measure_forward_and_sampler(rep: PerfReport, args, device: torch.device, peak: dict[str, float]) -> None:
    from unison.sampler import sample

    dtype = torch.bfloat16
    with PeakRSS() as build_mem:
        cfg, model, x, t, feats, mask = _dit_and_inputs(args.model, args.audio_tokens, args.text_tokens, device, dtype)
    rep.add("model_build_rss_mb", build_mem.delta_mb, f"{cfg.name} weights resident (bf16)",
            f"{build_mem.delta_mb:,.0f} MB")
    Na, Nt = args.audio_tokens, args.text_tokens
    with torch.no_grad(), PeakRSS() as fwd_mem:
        cond = model.prepare_text(feats, mask)
        fwd = lambda: model(x, t, cond)  # noqa: E731
        t_fwd = best_time(fwd, args.repeats, device)
        counted = counted_flops(fwd)
    flops = dit_forward_flops(cfg, Na, Nt, batch=2)
    frac, frac_cpu = flops / t_fwd.wall / peak["flops"], flops / t_fwd.cpu / peak["flops_cpu"]
    verdict = lambda f: "MET" if f >= FORWARD_TARGET else "NOT MET"  # noqa: E731
    rep.add("forward_seconds", t_fwd.wall, f"{cfg.name} forward, B=2, {Na}+{Nt} tokens, bf16",
            f"{t_fwd.wall * 1e3:,.1f} ms", f"CPU time {t_fwd.cpu * 1e3:,.1f} ms")
    rep.data["forward_cpu_seconds"] = t_fwd.cpu
    rep.add("forward_flops_analytic", flops, "  analytic FLOPs", f"{flops / 1e9:,.1f} GFLOP",
            f"torch-counted {counted / 1e9:,.1f} GFLOP")
    rep.add("forward_flops_per_s", flops / t_fwd.wall, "  achieved", f"{flops / t_fwd.wall / 1e9:,.1f} GFLOP/s",
            f"{flops / t_fwd.cpu / 1e9:,.1f} per CPU second")
    rep.add("forward_fraction_of_peak", frac, "  fraction of bf16 matmul peak (wall)", f"{100 * frac:.1f} %",
            f"target >= {100 * FORWARD_TARGET:.0f} %: {verdict(frac)}"
            + ("; > 100 % means the peak was measured while other jobs ran: read the CPU-time row" if frac > 1 else ""))
    rep.add("forward_fraction_of_peak_cpu", frac_cpu, "  fraction of bf16 matmul peak (CPU time)",
            f"{100 * frac_cpu:.1f} %", f"target >= {100 * FORWARD_TARGET:.0f} %: {verdict(frac_cpu)}")
    rep.add("forward_peak_rss_mb", fwd_mem.delta_mb, "  peak RSS above weights (forward)", f"{fwd_mem.delta_mb:,.0f} MB")

    steps = args.steps or (100 if device.type == "cuda" else 4)
    noise = torch.randn(1, Na, cfg.latent_channels, device=device)
    text = (feats[:1].float(), mask[:1])
    uncond = (feats[1:].float(), mask[1:])

    def one_call():
        return sample(model, text, noise, uncond_text=uncond, cfg_scale=4.5, steps=steps, solver="euler")

    with PeakRSS() as samp_mem:
        t_call = best_time(one_call, max(1, args.repeats - 1), device, warmup=0)
    with torch.no_grad():
        per_forward = best_time(fwd, args.repeats, device, warmup=0)
    with torch.no_grad():
        t_prep = best_time(lambda: model.prepare_text(feats, mask), args.repeats, device, warmup=0)
    ratio, ratio_cpu = t_call.wall / (steps * per_forward.wall), t_call.cpu / (steps * per_forward.cpu)
    overhead_cpu = t_call.cpu - steps * per_forward.cpu  # fixed per call (text prep) + per-step glue
    ratio_100 = (overhead_cpu + 100 * per_forward.cpu) / (100 * per_forward.cpu)
    verdict = lambda r: "MET" if r <= SAMPLER_TARGET else "NOT MET"  # noqa: E731
    rep.add("sampler_steps", steps, "sampling call (euler, CFG batched)", f"{steps} steps",
            "fewer than the paper's 100 on CPU; the overhead ratio is per step" if steps < 100 else "")
    rep.add("sampler_seconds", t_call.wall, "  sampling call", f"{t_call.wall:,.2f} s", f"CPU {t_call.cpu:,.2f} s")
    rep.add("sampler_forward_seconds", per_forward.wall * steps, f"  {steps} x single batched forward",
            f"{per_forward.wall * steps:,.2f} s", f"CPU {per_forward.cpu * steps:,.2f} s")
    rep.add("sampler_ratio", ratio, "  ratio call / forwards (wall)", f"{ratio:.3f}x",
            f"target <= {SAMPLER_TARGET:.2f}x: {verdict(ratio)}")
    rep.add("sampler_ratio_cpu", ratio_cpu, "  ratio call / forwards (CPU time)", f"{ratio_cpu:.3f}x",
            f"target <= {SAMPLER_TARGET:.2f}x: {verdict(ratio_cpu)}")
    rep.add("sampler_overhead_cpu_seconds", overhead_cpu, "  call overhead beyond the forwards (CPU)",
            f"{overhead_cpu * 1e3:,.0f} ms", f"prepare_text alone: {t_prep.cpu * 1e3:,.0f} ms CPU (once per call)")
    rep.add("sampler_ratio_cpu_100_steps", ratio_100, "  projected ratio at 100 steps (CPU)", f"{ratio_100:.3f}x",
            "same overhead spread over the paper's 100 steps")
    rep.add("sampler_peak_rss_mb", samp_mem.delta_mb, "  peak RSS above weights (sampling)", f"{samp_mem.delta_mb:,.0f} MB")
    del model


def measure_item_sampling(rep: PerfReport, args, device: torch.device) -> None:
    """Per-item sampling (one forward per item: its cond/uncond pair) against one batched call over
    all items (the way before batch invariance), float32, 25 Euler steps, 5 s at the preset's rate;
    the two are alternated so machine drift hits both."""
    from unison.config import load_config
    from unison.model.dit import build_dit
    from unison.core.seeds import item_noise
    from unison.sampler import GuidedVelocity, concat_text, integrate, sample

    cfg = load_config([f"profile={args.items_model}"] if args.items_model == "tiny" else [f"model={args.items_model}"],
                      cross_checks=False).model
    torch.manual_seed(0)
    with torch.device(device):
        model = build_dit(cfg).eval()
    B, frames, steps = args.items, 216, 25
    g = torch.Generator().manual_seed(0)
    n_layers = len(model.text_layers())
    text = (torch.randn(B, n_layers, 12, cfg.llm_hidden, generator=g).to(device), torch.ones(B, 12, dtype=torch.bool, device=device))
    empty = (torch.randn(1, n_layers, 1, cfg.llm_hidden, generator=g).to(device), torch.ones(1, 1, dtype=torch.bool, device=device))
    noise = item_noise(list(range(B)), frames, cfg.latent_channels, device)

    def per_item():
        return sample(model, text, noise, uncond_text=empty, cfg_scale=4.5, steps=steps)

    def batched():
        hidden, mask = concat_text(text, (empty[0].expand(B, -1, -1, -1), empty[1].expand(B, -1)))
        velocity = GuidedVelocity(model, model.prepare_text(hidden, mask), None, 0, 4.5)
        return integrate(velocity, noise.clone(), steps)

    with torch.no_grad():
        per_item(), batched()  # warm-up
        a = b = None
        for _ in range(args.repeats):  # alternated: A B A B ...
            ta, tb = best_time(per_item, 1, device, warmup=0), best_time(batched, 1, device, warmup=0)
            a = ta if a is None else Timing(min(a.wall, ta.wall), min(a.cpu, ta.cpu))
            b = tb if b is None else Timing(min(b.wall, tb.wall), min(b.cpu, tb.cpu))
    rep.add("items_per_item_seconds", a.wall, f"{B} items of {cfg.name}, one forward each (now)",
            f"{a.wall:,.2f} s", f"CPU {a.cpu:,.2f} s; {frames} frames, {steps} steps, CFG, float32")
    rep.add("items_batched_seconds", b.wall, f"  the same {B} items in one batched call (before)", f"{b.wall:,.2f} s",
            f"CPU {b.cpu:,.2f} s")
    rep.add("items_cost_ratio_cpu", a.cpu / b.cpu, "  price of batch invariance (CPU time)", f"{a.cpu / b.cpu:.2f}x",
            f"wall {a.wall / b.wall:.2f}x; best of {args.repeats} alternated")


def measure_hidden_state_cache(rep: PerfReport, llm_preset: str) -> None:
    """First call computes with the LLM and fills a fresh cache; a new encoder serves the same
    prompt from disk without ever loading the LLM."""
    from unison.config import load_config
    from unison.text.llm import build_text_encoder

    llm_cfg = load_config([f"llm={llm_preset}"], cross_checks=False).llm
    prompt = "A dog barks twice while rain falls on a tin roof."
    with tempfile.TemporaryDirectory(prefix="unison-perf-cache-") as cache:
        llm_cfg.cache_dir = cache
        layers = list(range(1, llm_cfg.num_layers + 1))
        enc = build_text_encoder(llm_cfg)
        t0 = time.perf_counter()
        first = enc.encode([prompt], layers)
        t_miss = time.perf_counter() - t0
        fresh = build_text_encoder(llm_cfg)
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            again = fresh.encode([prompt], layers)
            t_hit = time.perf_counter() - t0
        loaded = _llm_loaded(fresh)
        same = bool(torch.allclose(first.hidden.float(), again.hidden.float(), atol=1e-2))
    rep.add("cache_miss_seconds", t_miss, f"LLM features ({llm_cfg.model_id}, {len(layers)} layers)",
            f"{t_miss:,.2f} s", "first call: loads the LLM and fills the cache")
    rep.add("cache_hit_seconds", t_hit, "  repeated prompt, new encoder", f"{t_hit * 1e3:,.1f} ms",
            f"LLM loaded: {loaded}; same features: {same}; RSS +{mem.delta_mb:,.0f} MB")
    rep.data["cache_hit_llm_loaded"] = loaded
    rep.data["cache_hit_same_features"] = same


def _llm_loaded(enc) -> bool:
    """Whether the encoder ever loaded its LLM (TextEncoder counts loads)."""
    return bool(getattr(enc, "load_count", 0)) or getattr(enc, "_llm", None) is not None


def run_perf(args: argparse.Namespace) -> int:
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    rep = PerfReport(str(device), torch.get_num_threads())
    rss0 = maxrss_mb()
    sizes = args.matmul_sizes or ([4096, 8192] if device.type == "cuda" else [1024, 2048, 3072])
    peaks = {}
    for name, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
        peak = peaks[name] = matmul_peak(dtype, sizes, args.repeats, device)
        rep.add(f"matmul_peak_{name}", peak["flops"], f"matmul peak {name}", f"{peak['flops'] / 1e9:,.1f} GFLOP/s",
                f"best of {args.repeats} at n={peak['n']} (sizes {sizes}); "
                f"{peak['flops_cpu'] / 1e9:,.1f} per CPU second")
        rep.data[f"matmul_peak_{name}_cpu"] = peak["flops_cpu"]
    measure_forward_and_sampler(rep, args, device, peaks["bf16"])
    measure_item_sampling(rep, args, device)
    if args.llm != "none":
        try:
            measure_hidden_state_cache(rep, args.llm)
        except Exception as e:  # noqa: BLE001 - an unavailable offline LLM is reported, not fatal
            rep.add("cache_unavailable", str(e), "LLM hidden-state cache", "unavailable", str(e)[:120])
    rep.add("maxrss_mb", maxrss_mb(), "process max RSS", f"{maxrss_mb():,.0f} MB", f"{rss0:,.0f} MB at start")
    print(rep.table())
    if args.json:
        atomic_write_text(args.json, json.dumps({"device": rep.device, "threads": rep.threads, "torch": torch.__version__,
                                                 "cpus": os.cpu_count(), "loadavg": list(os.getloadavg()),
                                                 **rep.data}, indent=2))
    return EXIT_OK
