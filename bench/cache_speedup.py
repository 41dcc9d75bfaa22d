"""`unison-bench perf`: time a cold run and a warm run of the same suite, and extraction speed.

The warm run must reuse everything (test set, generated audio, cached features), so it should
be far faster than the cold one (target: >= 20x). By default the suite is a built-in set of real
recorded clips (Debian's tuxpaint sound effects and asterisk speech prompts, cropped to 3 s) run
through the oracle, and each available extractor in the catalog is exercised by a probe metric
(``perf-probe@<extractor>``: the number of clips it produced features for), so the numbers come
from the real offline evaluators without depending on which metrics exist yet.
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from unison.core.args import float_in, int_in
from unison.core.exit_codes import EXIT_FAIL, EXIT_OK

log = logging.getLogger(__name__)

PERF_SUITE = """\
name: perf_clips
version: "1"
task: t2a
description: Real recorded sound effects and speech prompts, 3 s each (perf measurements only).
builder: bench.cache_speedup:build_perf_clips
seed: 0
scales:
  mini: {{n: {n}, seconds: 3.0, sample_rate: 16000}}
generation: {{seconds: 3.0}}
metrics: [{metrics}]
validation: {{duration_tolerance: 0.05}}
"""


def build_perf_clips(params: dict, out) -> None:
    """Alternate real sound effects and real speech; pad/crop to ``seconds``."""
    from unison.core.audio import read_mono
    from unison.core.signal import fit_length
    from unison.core.sources.sounds import tuxpaint_sounds
    from unison.core.sources.speech import asterisk_prompts

    n, seconds, sr = int(params["n"]), float(params["seconds"]), int(params["sample_rate"])
    sounds, speech = tuxpaint_sounds(), asterisk_prompts()
    length = int(round(seconds * sr))
    for k in range(n):
        use_speech = k % 2 == 1
        clip = speech[(k // 2) % len(speech)] if use_speech else sounds[(k // 2) % len(sounds)]
        wave = fit_length(read_mono(clip.path, sr)[0], length)  # (length,)
        item_id = f"clip{k:03d}"
        rel = out.add_audio(f"target/{item_id}", wave, sr)
        out.add_item(Item(id=item_id, task="t2a", instruction=getattr(clip, "caption_en", None) or clip.transcript,
                          seconds=seconds, seed=out.item_seed(item_id), target=rel,
                          text=clip.transcript if use_speech else None, lang="en" if use_speech else None,
                          caption=None if use_speech else clip.caption_en,
                          subset="speech" if use_speech else "sound"))


class ProbeMetric(Metric):
    """Counts the clips an extractor produced features for, on generated and target audio."""

    variant = "perf"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str):
        self.name = "perf-probe"
        self.variant = extractor
        self.needs = {"gen": extractor, "target": extractor}

    def score(self, items: list[Item], feats: dict[str, list[dict[str, Any] | None]]) -> MetricResult:
        got = sum(f is not None for role in feats.values() for f in role)
        return MetricResult(value=float(got), n=len(items))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--suite", default=None, help="suite name/path (default: the built-in real-clip perf suite)")
    p.add_argument("--system", default="oracle")
    p.add_argument("--n", type=int_in(2), default=16, help="items in the built-in perf suite")
    p.add_argument("--extractors", default=None,
                   help="comma-separated extractors to probe (default: every available one in the catalog)")
    p.add_argument("--metrics", default=None, help="comma-separated catalog metrics to run instead of probes")
    p.add_argument("--workdir", type=Path, default=None, help="keep runs/caches here (default: a temp dir)")
    p.add_argument("--min-speedup", type=float_in(0, above=True), default=20.0)


def available_extractors(names: list[str] | None) -> tuple[list[str], dict[str, str]]:
    from bench import registry

    use, skipped = [], {}
    for name in names or registry.EXTRACTORS.names():
        try:
            reason = registry.EXTRACTORS.get(name).available()
        except Exception as e:  # noqa: BLE001 - report and skip
            reason = f"{type(e).__name__}: {e}"
        if reason is None:
            use.append(name)
        else:
            skipped[name] = reason
    return use, skipped


def run_perf(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.metrics import catalog as metric_catalog
    from bench.run import RunOptions, run
    from bench.spec import load_spec

    added: list[str] = []
    if args.metrics:
        metrics = args.metrics.split(",")
    else:
        exts, skipped = available_extractors(args.extractors.split(",") if args.extractors else None)
        for name, reason in skipped.items():
            print(f"skipped extractor {name}: {reason}")
        if not exts:
            print("no available extractor to measure")
            return EXIT_FAIL
        metrics = []
        for name in exts:
            key = f"perf-probe@{name}"
            metric_catalog.METRICS[key] = (lambda n=name: ProbeMetric(n))  # in-process only
            added.append(key)
            metrics.append(key)
    try:
        with tempfile.TemporaryDirectory(prefix="unison-bench-perf-") as tmp:
            work = Path(args.workdir) if args.workdir else Path(tmp)
            if args.suite:
                suite: Any = registry.load_suite(args.suite)
            else:
                spec_path = work / "suites" / "perf_clips.yaml"
                spec_path.parent.mkdir(parents=True, exist_ok=True)
                spec_path.write_text(PERF_SUITE.format(n=args.n, metrics=", ".join(metrics)))
                suite = load_spec(spec_path)

            def timed_run() -> tuple[Any, float]:
                """A run as a fresh `unison-bench run` does it: the system made anew, then the run."""
                t0 = time.perf_counter()
                report = run(RunOptions(suite=suite, system=registry.create_system(args.system),
                                        system_name=args.system, out=work / "runs", testsets_dir=work / "testsets",
                                        cache_dir=work / "cache", metrics=metrics, progress=False))
                return report, time.perf_counter() - t0

            cold, t_cold = timed_run()
            warm, t_warm = timed_run()
    finally:
        for key in added:
            metric_catalog.METRICS.pop(key, None)
        registry.METRICS.clear()
    n_items = cold.results["suite"]["n_items"]
    print(f"suite {cold.results['suite']['name']} ({n_items} items), system {args.system}")
    print(f"cold run: {t_cold:.2f} s  ({', '.join(f'{k} {v:.2f} s' for k, v in cold.timings.items())})")
    print(f"warm run: {t_warm:.3f} s  ({', '.join(f'{k} {v:.3f} s' for k, v in warm.timings.items())})")
    speedup = t_cold / t_warm if t_warm > 0 else float("inf")
    print(f"speed-up: {speedup:.1f}x (target >= {args.min_speedup:g}x)")
    for name, s in sorted(cold.extract_stats.items()):
        cps = s["clips_per_second"]
        print(f"  extractor {name:24s} {s['misses']:4d} clips in {s['seconds']:.2f} s = "
              f"{cps:.2f} clips/s" if cps else f"  extractor {name:24s} no clips extracted")
    warm_misses = sum(s["misses"] for s in warm.extract_stats.values())
    if warm_misses or warm.generated:
        print(f"warm run recomputed {warm_misses} features and {warm.generated} generations (expected 0)")
        return EXIT_FAIL
    for key, cell in cold.results["metrics"].items():
        if cell["unavailable"]:
            print(f"  {key}: unavailable: {cell['unavailable']}")
    return EXIT_OK if speedup >= args.min_speedup else EXIT_FAIL
