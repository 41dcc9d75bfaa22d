"""One run, top to bottom: build the test set, generate, validate, extract, score, write results.

Everything finished is on disk and reused after a kill: the test set (content-hashed), each
generated file (bench.run.generate), each feature (the content-addressed cache). Scoring is
recomputed from cached features. A run lives in ``<out>/<suite>/<system>/<seed>/``.
"""
from __future__ import annotations

import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from bench.cache import ExtractorFeatureCache
from bench.progress import Progress
from bench.results import results_document, sample_row, write_run
from bench.run.cells import CellCache
from bench.run.extract import FeatureStage
from bench.run.generate import (GenerationStore, dist_rank_world, generate_all, generation_signature,
                                system_unavailable, wait_for_ranks)
from bench.run.score import resolve_metrics, score_all
from bench.run.validate import item_statuses
from bench.spec import SuiteSpec
from bench.systems.base import System
from bench.testset import build_testset

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    suite: SuiteSpec
    system: System  # e.g. from bench.registry.create_system; may serve several runs in turn
    system_name: str | None = None  # as asked for (`--system unison:/a.safetensors`); names the results and
    # the run folder; None = system.name
    system_args: dict[str, str] = field(default_factory=dict)  # the `--system-arg`s it was made with (recorded)
    seed: int = 0
    scale: str = "mini"
    limit: int | None = None
    out: Path = Path("runs")
    testsets_dir: Path | None = None
    cache_dir: Path | None = None  # default: <out>/.cache/features
    metrics: list[str] | None = None  # override the suite's metric list
    batch_size: int | None = None  # items per system.generate call (None: the system's own); moves no output
    progress: bool | Progress = True  # bars on stderr when it is a terminal; a Progress says where and how
    wait_timeout: float = 24 * 3600.0  # rank 0 waiting for the other ranks' items

    @property
    def label(self) -> str:
        """The name results are shown and filed under: the one the user gave the system
        (``--system-arg name=...``), else as it was asked for, else its catalog name."""
        return getattr(self.system, "label", None) or self.system_name or self.system.name


@dataclass
class RunReport:
    results_path: Path | None
    results: dict[str, Any] | None
    timings: dict[str, float] = field(default_factory=dict)
    extract_stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    generated: int = 0  # items generated in this invocation (not reused)


def run_dir(opts: RunOptions) -> Path:
    # "unison:/ckpts/a.safetensors" must stay one folder: path separators become "_"
    folder = re.sub(r"[\\/\s]+", "_", opts.label).strip("_") or "system"
    return Path(opts.out) / opts.suite.name / folder / str(opts.seed)


class Clock:
    """Wall seconds per stage, for RunReport.timings."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self.timings[stage] = time.perf_counter() - t0


def check_options(opts: RunOptions) -> None:
    if not isinstance(opts.suite, SuiteSpec):
        raise TypeError(f"RunOptions.suite is {type(opts.suite).__name__}; give a bench.spec.SuiteSpec "
                        "(bench.registry.load_suite(name) loads one)")
    if not isinstance(opts.system, System):
        raise TypeError(f"RunOptions.system is {type(opts.system).__name__}; give a bench.systems.base.System "
                        "(bench.registry.create_system(name, args) makes one from the catalog)")
    if opts.limit is not None and opts.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {opts.limit}")
    if opts.batch_size is not None and opts.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {opts.batch_size}")


def run(opts: RunOptions) -> RunReport:
    """Run ``opts.system`` on ``opts.suite``; rank 0 returns the results (other ranks only generate)."""
    clock = Clock()
    check_options(opts)
    spec, system = opts.suite, opts.system
    metrics = resolve_metrics(list(opts.metrics or spec.metrics))  # an unknown key fails before any work
    system.configure(generation=spec.generation, seed=opts.seed, suite=spec.name)
    rank, world = dist_rank_world()
    # bars name the system without the folders of a checkpoint path (unison:/a/b/c.safetensors -> unison:c.safetensors)
    short = re.sub(r"[^:]*[\\/]", "", opts.label)
    bars, where = Progress.of(opts.progress), f"{spec.name} · {short}"

    with clock("build"):
        testset = build_testset(spec, opts.scale, opts.testsets_dir)
    items = testset.items[: opts.limit] if opts.limit is not None else list(testset.items)
    rdir = run_dir(opts)
    store = GenerationStore(rdir)
    why_not = system_unavailable(system)
    if why_not is None:
        system.prepare(items, testset)  # input it cannot use at all stops the run here (SystemInputError)
    sigs = {it.id: generation_signature(system, it, opts.seed, spec, testset) for it in items}

    mine = [it for i, it in enumerate(items) if i % world == rank]  # this rank's share
    with clock("generate"):
        if why_not is None:
            n_generated, gen_errors = generate_all(system, mine, sigs, testset, store, bars, opts.batch_size,
                                                   desc=f"generate {where}")
        else:  # like an extractor without weights: every cell says why, nothing is generated
            log.warning("system %s unavailable: %s", opts.label, why_not)
            n_generated, gen_errors = 0, {it.id: f"unavailable: {why_not}" for it in items}
    if rank != 0:
        log.info("rank %d/%d generated its share (%d items); rank 0 scores", rank, world, len(mine))
        return RunReport(None, None, clock.timings, {}, n_generated)
    if world > 1:
        wait_for_ranks(items, sigs, store, gen_errors, opts.wait_timeout)

    with clock("validate"):
        statuses = item_statuses(items, gen_errors, store, sigs, spec.validation)

    cache = ExtractorFeatureCache(Path(opts.cache_dir) if opts.cache_dir else Path(opts.out) / ".cache" / "features")
    stage = FeatureStage(cache, items, statuses, testset, store, bars, label=where)
    subsets = sorted({it.subset for it in items if it.subset is not None} | set(spec.subsets))
    with clock("extract_score"):
        scores = score_all(metrics, items, statuses, stage, subsets,
                           system_unavailable=None if why_not is None else f"system {opts.label}: {why_not}",
                           progress=bars, label=where, cells=CellCache(cache.root / "cells"))

    results = results_document(spec=spec, scale=opts.scale, testset=testset, n_items=len(items), limit=opts.limit,
                               system=system, system_name=opts.label, system_args=opts.system_args, seed=opts.seed,
                               extractors=stage.used(), metrics=scores.cells, subsets=scores.subsets,
                               provenance=system.provenance() if why_not is None else {})
    rows = [sample_row(it.id, it.subset, statuses[it.id].status, statuses[it.id].error,
                       {k: v[i] for k, v in scores.per_item.items() if v is not None})  # per-item metrics only
            for i, it in enumerate(items)]
    results_path = write_run(rdir, results, rows)
    clock.timings["total"] = time.perf_counter() - clock.start
    stats = {name: {"hits": s.hits, "misses": s.misses, "seconds": s.seconds,
                    "clips_per_second": s.clips_per_second()} for name, s in cache.stats.items()}
    log.info("wrote %s", results_path)
    return RunReport(results_path, results, clock.timings, stats, n_generated)
