"""Speech enhancement (the `denoise` task) and super-resolution of UNISON checkpoints on held-out
clips of a corpus, scored with the bench's metric code and compared with its paired bootstrap.

Items: the online synthesis of unison.data.synthesis (the training relations: denoise = clean +
coloured noise at 0-20 dB SNR; super_resolution = clean low-passed at 2 / 4 / 6 kHz, a draw with
less than -30 dB of energy above the cut-off redrawn) built ONLY from the corpus rows that the
fine-tune held out (crc32(id) % 20 == 0, unison.data.manifests.held_out; `data.holdout_every=20`),
one item per seed 100000 + i, instructions in English. Every checkpoint gets the same items, the
same per-item noise seeds (unison's sampler draws each item's noise from its own seed, so batch
size does not matter) and the same sampler (Euler, 25 steps, CFG 4.5: the bench suites' setting).

Scores (per item, at the model's 22.05 kHz, against the clean target): SI-SDR (bench.metrics.signal.si_sdr,
dB, higher is better) and LSD (bench.metrics.lsd.lsd, ssr-eval STFT, lower is better), each over the
whole clip and over the target's active span (`*_active`: first to last non-zero sample; outside it
the target is digital silence, where LSD against any non-zero output is ~12 decades and dominates
the mean). Generated waves are kept in --out/<checkpoint stem>/<task>.npz (rescoring is free). Context
rows, not systems: `input` (the degraded source itself) and `codec` (the target through the
codec's encode -> decode, the best a DiT on this codec can reach).

    python scripts/restoration_eval.py --manifest runs/mini_corpus/manifest.jsonl --out runs/restoration_eval \\
        --items 24 checkpoints/tiny/unison-tiny.safetensors checkpoints/tiny/unison-tiny-tasks.safetensors

The first checkpoint is the baseline; each other is compared with it (bench.stats.paired_bootstrap,
1000 resamples, seed 0, 95 % percentile CI of mean(other - baseline)). Per-checkpoint scores are
cached in --out/<checkpoint stem>/<task>.json and reused when the items are the same.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from bench.metrics.lsd import lsd
from bench.metrics.signal import si_sdr
from bench.stats import paired_bootstrap
from unison.data.manifests import Manifest, held_out, load_manifest
from unison.data.synthesis import ClipPool, SynthesisConfig, Synthesizer
from unison.pipeline import UnisonPipeline

TASKS = ("denoise", "super_resolution")
SEED0 = 100_000
SR, HOP, SECONDS = 22050, 256, 5.0
log = logging.getLogger("restoration_eval")


def build_items(manifest_path: Path, n: int, holdout_every: int) -> dict[str, list[dict]]:
    m = load_manifest(manifest_path)
    rows = [r for r in m.rows if held_out(r.id, holdout_every)]
    pool = ClipPool(Manifest(rows, m.root, m.skipped), SR, SECONDS)
    cfg = SynthesisConfig(seconds=SECONDS, zh_prob=0.0)  # the training ranges (DataConfig defaults)
    synth = Synthesizer(pool, SR, HOP, cfg, tasks=list(TASKS))
    items = {}
    for task in TASKS:
        items[task] = []
        for i in range(n):
            b = synth.make_batch(task, 1, np.random.default_rng(SEED0 + i))
            items[task].append({"seed": SEED0 + i, "instruction": b.instructions[0], "ids": list(b.ids[0]),
                                "meta": {k: v for k, v in b.meta[0].items() if k != "parts"},
                                "source": b.source[0].numpy(), "target": b.target[0].numpy()})
    log.info("%d held-out rows (%d speech); items: %s", len(rows), len(pool.speech),
             {t: len(v) for t, v in items.items()})
    return items


def digest(items: list[dict]) -> str:
    h = hashlib.sha256()
    for it in items:
        h.update(it["source"].tobytes())
        h.update(it["target"].tobytes())
        h.update(it["instruction"].encode())
    return h.hexdigest()[:16]


def active_span(ref: np.ndarray) -> slice:
    """First to last non-zero sample of the clean target (the clip is placed in digital silence)."""
    nz = np.flatnonzero(ref)
    return slice(int(nz[0]), int(nz[-1]) + 1)


def scores(est: np.ndarray, ref: np.ndarray) -> dict:
    """Over the whole clip, and over the target's active span: outside it the target is exact zeros,
    where LSD's log ratio against any non-zero output is ~-12 decades and dominates the mean."""
    a = active_span(ref)
    return {"si_sdr": si_sdr(est, ref)[0], "lsd": lsd(est, ref, SR),
            "si_sdr_active": si_sdr(est[a], ref[a])[0], "lsd_active": lsd(est[a], ref[a], SR)}


def run_checkpoint(path: Path, items: dict[str, list[dict]], out: Path, batch: int = 8) -> dict[str, list[dict]]:
    res, pipe = {}, None
    for task, its in items.items():
        cache, wav_cache = out / path.stem / f"{task}.json", out / path.stem / f"{task}.npz"
        key = digest(its)
        if wav_cache.is_file() and str(np.load(wav_cache)["digest"]) == key:  # generated before: rescore only
            waves = list(np.load(wav_cache)["waves"])
            res[task] = [{"seed": it["seed"], "ids": it["ids"], "meta": it["meta"], **scores(w, it["target"])}
                         for it, w in zip(its, waves)]
            continue
        if pipe is None:
            pipe = UnisonPipeline.from_checkpoint(path)
            assert pipe.sample_rate == SR
        t0, waves = time.perf_counter(), []
        for s in range(0, len(its), batch):
            chunk = its[s:s + batch]
            waves += pipe.generate_batch(task, [it["instruction"] for it in chunk], SECONDS,
                                         [it["seed"] for it in chunk], sources=[(it["source"], SR) for it in chunk],
                                         steps=25, cfg_scale=4.5, solver="euler")
        rows = [{"seed": it["seed"], "ids": it["ids"], "meta": it["meta"], **scores(w, it["target"])}
                for it, w in zip(its, waves)]
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(wav_cache, waves=np.stack(waves), digest=np.array(key))
        cache.write_text(json.dumps({"checkpoint": str(path), "task": task, "items_digest": key,
                                     "wall_s": time.perf_counter() - t0, "items": rows}, indent=1))
        res[task] = rows
    return res


def context_rows(items: dict[str, list[dict]], codec_from: Path) -> dict[str, dict[str, list[dict]]]:
    """`input`: the source as the estimate; `codec`: the target through encode -> decode."""
    from unison.audio.codec import build_codec
    from unison.audio.latent_stats import LatentStats
    from unison.checkpoint import load_checkpoint

    ck = load_checkpoint(codec_from)
    codec = build_codec(ck.config.audio, LatentStats(ck.latent_mean, ck.latent_std))
    out = {"input": {}, "codec": {}}
    for task, its in items.items():
        out["input"][task] = [scores(it["source"], it["target"]) for it in its]
        with torch.no_grad():
            dec = [codec.decode(codec.encode(torch.from_numpy(it["target"])[None]))[0].float().numpy() for it in its]
        out["codec"][task] = [scores(d[: it["target"].size], it["target"]) for d, it in zip(dec, its)]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", type=Path, help="baseline first")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--items", type=int, default=24)
    p.add_argument("--holdout-every", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)
    items = build_items(args.manifest, args.items, args.holdout_every)
    results = {str(c): run_checkpoint(c, items, args.out) for c in args.checkpoints}
    ctx = context_rows(items, args.checkpoints[0])
    base = str(args.checkpoints[0])
    summary = {"items": {t: [{"seed": it["seed"], "ids": it["ids"], "meta": it["meta"]} for it in its]
                         for t, its in items.items()}, "means": {}, "paired": {}}
    for task in TASKS:
        print(f"\n{task} ({len(items[task])} held-out items)")
        for metric, better in (("si_sdr", "higher"), ("lsd", "lower"), ("si_sdr_active", "higher"),
                               ("lsd_active", "lower")):
            line = [f"  {metric} ({better} is better):"]
            for name, rows in [("input", ctx["input"][task]), ("codec", ctx["codec"][task])] + \
                    [(Path(c).stem, results[c][task]) for c in results]:
                v = float(np.mean([r[metric] for r in rows]))
                summary["means"].setdefault(task, {}).setdefault(metric, {})[name] = v
                line.append(f"{name} {v:.3f}")
            print("  ".join(line))
            for c in list(results)[1:]:
                a = [r[metric] for r in results[base][task]]
                b = [r[metric] for r in results[c][task]]
                pr = paired_bootstrap(a, b, n_boot=1000, seed=0)
                summary["paired"].setdefault(task, {}).setdefault(metric, {})[Path(c).stem] = pr._asdict()
                print(f"    {Path(c).stem} - {Path(base).stem}: {pr.delta:+.3f} [{pr.ci_lo:+.3f}, {pr.ci_hi:+.3f}] "
                      f"p={pr.p_value:.3f}{' *' if pr.significant else ''}")
        if task == "super_resolution":
            for fc in sorted({it["meta"]["cutoff_hz"] for it in items[task]}):
                idx = [i for i, it in enumerate(items[task]) if it["meta"]["cutoff_hz"] == fc]
                means = {Path(c).stem: float(np.mean([results[c][task][i]["lsd_active"] for i in idx]))
                         for c in results}
                print(f"    cut-off {fc:.0f} Hz ({len(idx)} items) lsd_active: "
                      + ", ".join(f"{k} {v:.3f}" for k, v in means.items()))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
