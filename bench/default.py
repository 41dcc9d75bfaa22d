"""``unison-bench default``: the embedded default: every suite at mini scale, every system that runs here, offline metrics, one report.

Builds the offline mini test set of every suite with a ``default`` block, in the suites' ``order``,
runs the systems that block lists on it, scores each with the suite's own metric list
(paper-protocol cells whose weights are missing say "unavailable: <reason>"), then writes the
leaderboards and the HTML report. Each suite's YAML says which systems run it; ``unison`` there
means the UNISON checkpoint of this run (first ``--unison-limit`` items, default 8): ``--checkpoint``,
else $UNISON_CHECKPOINT, else the tiny checkpoint the trainer commits
(checkpoints/tiny/unison-tiny.safetensors). A suite that compares checkpoints (a ``checkpoints``
block) runs its own checkpoints instead, when all of their files are present.

A listed system that does not support all of the suite's tasks is skipped with a note. Suites run
in ``--jobs`` worker processes (see "worker processes" below); within a process, runs of one system
share one instance (bench.registry.SystemPool), so a checkpoint loads once per worker. Everything is
resumable: test sets, generated audio, features, scored cells and report media are cached, so a
rerun reads them back (seconds).
Wall and CPU time (this process and its children, e.g. the TTS engines) are recorded per run in
``<out>/default.json``.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.logfile import Terminal, log_to_file
from bench.progress import Progress, add_no_progress
from bench.systems.unison import checkpoint_overrides
from unison.core.args import SEED, int_in

if TYPE_CHECKING:
    from bench.registry import SystemPool
    from bench.spec import SuiteSpec

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
TINY_CHECKPOINT = Path("checkpoints/tiny/unison-tiny.safetensors")  # committed by the trainer
CHECKPOINT_ENV = "UNISON_CHECKPOINT"


@dataclass
class Job:
    suite: str
    system: str  # as given to `unison-bench run --system`
    label: str  # how the summary names it
    system_args: dict[str, str] = field(default_factory=dict)
    limit: int | None = None  # first N items (None = all)
    status: str = "pending"  # ok | failed: <reason> | skipped: <reason> | unavailable: <reason>
    wall_s: float = 0.0
    cpu_s: float = 0.0
    generated: int = 0
    results: str | None = None


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children (TTS engines, ...)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# ---------------------------------------------------------------- the UNISON checkpoint

def _resolve(path: Path) -> Path:
    return path if path.is_absolute() or path.exists() else REPO / path


def find_checkpoint(explicit: str | None) -> tuple[Path | None, str | None]:
    """(checkpoint, None) or (None, why none is available)."""
    if explicit:
        p = Path(explicit).expanduser()
        return (p, None) if p.is_file() else (None, f"--checkpoint {p} does not exist")
    env = os.environ.get(CHECKPOINT_ENV)
    if env:
        p = Path(env).expanduser()
        return (p, None) if p.is_file() else (None, f"${CHECKPOINT_ENV}={p} does not exist")
    p = _resolve(TINY_CHECKPOINT)
    if p.is_file():
        return p, None
    return None, (f"no UNISON checkpoint: {TINY_CHECKPOINT} is not in this checkout (the tiny checkpoint the "
                  f"trainer commits) and ${CHECKPOINT_ENV} is not set; train one (checkpoints/tiny/README.md) "
                  "or pass --checkpoint")


def suite_checkpoints(spec: "SuiteSpec", scale: str) -> tuple[list[tuple[str, Path]], str | None]:
    """[(name, file)] of a suite's own checkpoints at ``scale`` when all are present, else why not."""
    cp = spec.checkpoints
    rows = cp.entries(scale)
    env = os.environ.get(cp.folder_env) if cp.folder_env else None
    folder = Path(env) if env else _resolve(Path(cp.folder))
    found = [(str(r["name"]), folder / cp.file(r)) for r in rows]
    missing = [str(p) for _, p in found if not p.is_file()]
    if not rows:
        return [], f"suite {spec.name} has no checkpoints for scale {scale}"
    if missing:
        return [], f"checkpoints missing: {', '.join(missing)}" + (f" (set ${cp.folder_env})" if cp.folder_env else "")
    return found, None


# ---------------------------------------------------------------- planning

def default_suites(suites_dir: list[str] | None = None) -> list[str]:
    """The suites the embedded default runs (those with a ``default`` block), in their order."""
    from bench import registry

    specs = [registry.load_suite(name, suites_dir) for name in registry.suite_files(suites_dir)]
    return [s.name for s in sorted((s for s in specs if s.default is not None), key=registry.spec_order)]


def _min_limit(*limits: int | None) -> int | None:
    given = [n for n in limits if n is not None]
    return min(given) if given else None


def unison_jobs(spec: "SuiteSpec", checkpoint: Path | None, scale: str, limit: int | None,
                notes: list[str]) -> list[Job]:
    """The UNISON runs of a suite: its own checkpoints if it compares some and all are present,
    else the default run's checkpoint (if any)."""
    ckpts, why = suite_checkpoints(spec, scale) if spec.compares_checkpoints else ([], None)
    if why:
        notes.append(f"{spec.name}: checkpoint rows unavailable: {why}")
    if ckpts:
        return [Job(spec.name, f"unison:{path}", f"unison:{name}", checkpoint_overrides(path, REPO), limit)
                for name, path in ckpts]
    if checkpoint is None:
        return []
    label = "unison-tiny" if checkpoint.name == TINY_CHECKPOINT.name else f"unison:{checkpoint.name}"
    return [Job(spec.name, f"unison:{checkpoint}", label, checkpoint_overrides(checkpoint, REPO), limit)]


def plan(suites: list[str], checkpoint: Path | None, scale: str, suites_dir: list[str] | None,
         limit: int | None = None, unison_limit: int | None = None,
         pool: "SystemPool | None" = None) -> tuple[list[Job], list[str]]:
    """The (suite, system) runs, and notes on what cannot run here. ``limit``: first N items of
    every suite; ``unison_limit``: first N items for UNISON checkpoints. ``pool`` makes the systems (and later
    serves the same instances to the runs)."""
    from bench import registry
    from bench.spec import UNISON

    pool = pool or registry.SystemPool()
    jobs: list[Job] = []
    notes: list[str] = []
    broken: set[str] = set()
    for suite in suites:
        spec = registry.load_suite(suite, suites_dir)
        if spec.default is None:
            notes.append(f"{suite}: skipped: {spec.path} has no 'default' block (the systems the default runs on it)")
            continue
        first = _min_limit(limit, spec.default.items)  # the suite's own `default.items` caps its runs
        for name in spec.default.systems:
            if name == UNISON:
                jobs += unison_jobs(spec, checkpoint, scale, _min_limit(first, unison_limit), notes)
                continue
            try:
                system = pool.get(name)
            except Exception as e:  # noqa: BLE001 - a system that cannot be built is reported, the rest run
                if name not in broken:
                    broken.add(name)
                    notes.append(f"{name}: unavailable: {type(e).__name__}: {e}")
                continue
            unsupported = [t for t in spec.tasks if not system.supports(t)]
            if unsupported:  # a TTS voice is not charged with failing a suite's text-to-audio half
                notes.append(f"{suite}: {name} skipped: it does not support task(s) {', '.join(unsupported)}")
                continue
            jobs.append(Job(suite, name, name, limit=first))
    return jobs, notes


# ---------------------------------------------------------------- running

def run_job(job: Job, args: argparse.Namespace, testsets: Path, pool: "SystemPool",
            progress: "bool | Progress" = False) -> None:
    """One run. Jobs of the same system share one instance from ``pool``, so a UNISON checkpoint's
    LLM, VAE and vocoder load once for all suites (about 40 s each on 2 cores)."""
    from bench import registry
    from bench.run import RunOptions, run

    spec = registry.load_suite(job.suite, args.suites_dir)
    t0, c0 = time.perf_counter(), cpu_seconds()
    try:
        system = pool.get(job.system, job.system_args)
        rep = run(RunOptions(suite=spec, system=system, system_name=job.system, system_args=job.system_args,
                             seed=args.seed, scale=args.scale, limit=job.limit, out=args.out, testsets_dir=testsets,
                             progress=progress))
        job.status, job.generated = "ok", rep.generated
        job.results = str(rep.results_path) if rep.results_path else None
    except Exception as e:  # noqa: BLE001 - one broken run must not stop the default
        log.info("run %s on %s failed", job.label, job.suite, exc_info=True)  # the traceback: log file
        job.status = f"failed: {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
    job.wall_s, job.cpu_s = time.perf_counter() - t0, cpu_seconds() - c0


# ---------------------------------------------------------------- worker processes
# Suites are independent (each has its own test set, runs and cells), so ``--jobs N`` runs N suites
# at once, each in its own process and each suite's runs in order inside it. Every number is the
# same as in one process: torch is thread-count independent (unison.core.determinism) and so are
# the extractors' runtimes (tests/bench/extractors/test_threads.py); caches are content-addressed
# and written atomically, so two workers that compute one entry write the same bytes.

def worker_count(requested: int | None, jobs: list[Job]) -> int:
    """--jobs, else this machine's cores (at most 4: each worker holds its own models, ~2 GB), never
    more than there are suites to run."""
    suites = len({j.suite for j in jobs})
    wanted = requested if requested is not None else min(os.cpu_count() or 1, 4)
    return max(1, min(wanted, suites))


def threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


_WORKER: dict = {}  # in a worker process: what _worker_start was given, and its SystemPool


def _worker_start(args: argparse.Namespace, testsets: Path, threads: int, log: Path, done, slots, lock) -> None:
    import torch
    from tqdm import tqdm

    from bench.registry import SystemPool

    torch.set_num_threads(threads)  # the extractors' runtimes follow it (bench.extractors.base.cpu_threads)
    tqdm.set_lock(lock)  # bars of all workers share the terminal without tearing each other's lines
    with slots.get_lock():
        slot, slots.value = slots.value, slots.value + 1
    _WORKER.update(args=args, testsets=testsets, log=log, done=done, slot=slot, pool=SystemPool())


def _worker_suite(runs: list[tuple[int, Job]]) -> None:
    """One suite's runs, in order, in this worker; each finished run goes back on the ``done`` queue."""
    w = _WORKER
    args = w["args"]
    with log_to_file(w["log"], verbose=getattr(args, "verbose", False)) as term:
        for k, job in runs:
            bars = Progress(enabled=not getattr(args, "no_progress", False), stream=term.err, leave=False,
                            prefix=f"[{job.suite}] ", position=w["slot"])
            run_job(job, args, w["testsets"], w["pool"], bars)
            if k == runs[-1][0]:  # the suite is complete: draw its report media here, in parallel
                _draw_report_media([j for _, j in runs], args, w["testsets"])
            w["done"].put((k, job))


def _draw_report_media(runs: list[Job], args: argparse.Namespace, testsets: Path) -> None:
    from bench.report.build import draw_suite_media

    made = [j.results for j in runs if j.results]
    if not made:
        return
    t0 = time.perf_counter()
    items = report_items([runs[0].suite], args.suites_dir, args.items).get(runs[0].suite, args.items)
    try:
        n = draw_suite_media(args.out, made, testsets, items, args.worst)
        log.info("%s: report media drawn (%d clips) in %.1f s", runs[0].suite, n, time.perf_counter() - t0)
    except Exception:  # noqa: BLE001 - the report draws whatever is missing itself
        log.warning("%s: report media not drawn ahead; the report will draw them", runs[0].suite, exc_info=True)


def run_in_workers(jobs: list[Job], args: argparse.Namespace, testsets: Path, workers: int, log: Path,
                   say) -> None:
    """Run ``jobs`` (updated in place) in ``workers`` processes, a suite at a time each, printing
    each run's line as it finishes. A worker that dies fails the runs it had not finished."""
    import multiprocessing as mp
    import queue
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("spawn")  # a fresh interpreter: no forked torch / OpenMP state
    done, slots, lock = ctx.Queue(), ctx.Value("i", 0), ctx.RLock()
    suites: dict[str, list[tuple[int, Job]]] = {}
    for k, job in enumerate(jobs):
        suites.setdefault(job.suite, []).append((k, job))
    finished: set[int] = set()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_start,
                             initargs=(args, testsets, threads_per_worker(workers), log, done, slots, lock)) as ex:
        futures = [ex.submit(_worker_suite, runs) for runs in suites.values()]
        try:
            while len(finished) < len(jobs):
                all_returned = all(f.done() for f in futures)  # before the get: a run put before its return
                try:
                    k, job = done.get(timeout=1.0)
                except queue.Empty:
                    if all_returned:
                        break  # a worker died: its suite's remaining runs never arrive
                    continue
                jobs[k] = job
                finished.add(k)
                say(job_line(job, len(finished), len(jobs)))
        except BaseException:  # Ctrl-C: suites not started never start; running ones stop on their own SIGINT
            for f in futures:
                f.cancel()
            raise
        errors = [f.exception() for f in futures if f.exception() is not None]
    for k, job in enumerate(jobs):
        if k not in finished:
            why = f"{type(errors[0]).__name__}: {errors[0]}" if errors else "its worker stopped"
            job.status = f"failed: worker process: {why}"[:300]
            say(job_line(job, k + 1, len(jobs)))


def report_items(suites: list[str], suites_dir: list[str] | None, items: int) -> dict[str, int]:
    """Items with audio per suite in the report, where a suite's ``default.report_items`` asks for more."""
    from bench import registry

    out = {}
    for suite in suites:
        spec = registry.load_suite(suite, suites_dir)
        if items and spec.default is not None and spec.default.report_items > items:
            out[suite] = spec.default.report_items
    return out


def job_line(job: Job, k: int, n: int) -> str:
    """The line a finished run leaves on the terminal; [k/N] counts the runs."""
    items = "all items" if job.limit is None else f"first {job.limit}"
    count = f"[{k}/{n}]"
    return (f"{count:>7s} {job.suite:16s} {job.label:14s} {items:10s} {job.status[:64]:64s} {job.wall_s:6.1f} s wall "
            f"{job.cpu_s:6.1f} s CPU ({job.generated} generated)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/default"), help="runs folder (default runs/default)")
    p.add_argument("--report", type=Path, default=None,
                   help="report folder (index.html, summary.md, leaderboards/); default <out>/report, so a run "
                        "never rewrites the committed example (refresh that with `make example-report`)")
    p.add_argument("--limit", type=int_in(1), default=None, help="only the first N items of every suite (CI)")
    p.add_argument("--unison-limit", type=int_in(1), default=8, metavar="N",
                   help="UNISON checkpoints: only the first N items of every suite (default 8; 0 = all)")
    p.add_argument("--suites", default=None,
                   help="comma-separated suites (default: every suite with a 'default' block, in its order)")
    p.add_argument("--checkpoint", default=None,
                   help=f"UNISON checkpoint (default ${CHECKPOINT_ENV}, else {TINY_CHECKPOINT})")
    p.add_argument("--testsets", type=Path, default=None,
                   help="test-set folder (default $UNISON_BENCH_TESTSETS, else <out>/testsets)")
    p.add_argument("--items", type=int_in(0, 1000), default=1,
                   help="items per suite with audio in the report (default 1; a suite's default.report_items "
                        "raises it for that suite)")
    p.add_argument("--worst", type=int_in(0, 100), default=1, metavar="N",
                   help="worst items per system and per-item metric in the report, with their audio (default 1: "
                        "they are most of the committed example's 3.9 MB; 0 = none)")
    p.add_argument("--jobs", type=int_in(1, 64), default=None, metavar="N",
                   help="suites run at once, each in its own worker process (default: this machine's cores, at "
                        "most 4; 1 = everything in this process); the numbers do not depend on it")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--scale", default="mini", choices=["mini"], help="the embedded default is mini only")
    p.add_argument("--suites-dir", action="append", default=None, metavar="DIR")
    add_no_progress(p)


def report_dir(args: argparse.Namespace) -> Path:
    """Where the report goes: --report, else beside the runs (<out>/report, ignored by git)."""
    return args.report if args.report is not None else args.out / "report"


def run(args: argparse.Namespace) -> int:
    """The whole invocation writes one log, ``<out>/log.txt`` (appended to by reruns): planning loads
    systems and the report loads models too, so their notices belong to no single run."""
    args.report = report_dir(args)
    log_path = Path(args.out) / "log.txt"
    print(f"details (third-party notices, INFO lines): {log_path}", flush=True)
    with log_to_file(log_path, verbose=getattr(args, "verbose", False)) as term:
        return _run(args, term)


def _run(args: argparse.Namespace, term: Terminal) -> int:
    def say(*text: str, err: bool = False) -> None:  # our own lines: the terminal, not the log
        print(*text, file=term.err if err else term.out, flush=True)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {args.limit}")
    t_start, c_start = time.perf_counter(), cpu_seconds()
    out: Path = args.out
    testsets = args.testsets or (Path(os.environ["UNISON_BENCH_TESTSETS"]) if os.environ.get("UNISON_BENCH_TESTSETS")
                                 else out / "testsets")
    suites = ([s.strip() for s in args.suites.split(",") if s.strip()] if args.suites is not None
              else default_suites(args.suites_dir))
    checkpoint, why_no_ckpt = find_checkpoint(args.checkpoint)
    notes = [] if checkpoint else [f"unison: unavailable: {why_no_ckpt}"]
    if args.unison_limit is not None and args.unison_limit < 0:
        raise ValueError(f"--unison-limit must be >= 0, got {args.unison_limit}")
    from bench.registry import SystemPool

    pool = SystemPool()
    jobs, more = plan(suites, checkpoint, args.scale, args.suites_dir, args.limit, args.unison_limit or None, pool)
    notes += more
    for n in notes:
        say(f"note: {n}")
    say(f"{len(jobs)} runs ({len(suites)} suites, scale {args.scale}"
        + (f", first {args.limit} items" if args.limit else "") + f") -> {out}")
    workers = worker_count(args.jobs, jobs)
    if workers > 1:
        say(f"{workers} worker processes, {threads_per_worker(workers)} thread(s) each (--jobs)")
        run_in_workers(jobs, args, testsets, workers, term.log, say)
    else:
        for k, job in enumerate(jobs, 1):
            # the run's bars are transient and carry [k/N]; the line printed after it stays
            bars = Progress(enabled=not getattr(args, "no_progress", False), stream=term.err, leave=False,
                            prefix=f"[{k}/{len(jobs)}] ")
            run_job(job, args, testsets, pool, bars)
            say(job_line(job, k, len(jobs)))

    t0, c0 = time.perf_counter(), cpu_seconds()
    from unison.core.files import atomic_write_text

    made = [j.results for j in jobs if j.results]  # this invocation's results only, not stale ones
    if not made:
        say("error: no run produced results; nothing to report (see the statuses above)", err=True)
        return 1
    leaderboard_files: list[str] = []
    try:
        from bench.leaderboard import write_leaderboards

        leaderboard_files = [str(p) for p in write_leaderboards(made, args.report / "leaderboards",
                                                                 suites_dir=args.suites_dir)]
    except Exception as e:  # noqa: BLE001
        notes.append(f"leaderboards: unavailable: {type(e).__name__}: {e}")
    from bench.report import build_report

    run_log = [{"suite": j.suite, "system": j.label, "items": "all" if j.limit is None else f"first {j.limit}",
                "status": j.status, "wall": f"{j.wall_s:.1f} s",
                "cpu": f"{j.cpu_s:.1f} s", "generated": j.generated} for j in jobs]
    items = {"*": args.items, **report_items(suites, args.suites_dir, args.items)}
    paths = build_report(out, args.report, testsets_dir=testsets, items_per_suite=items,
                         title="unison-bench embedded default (mini)" + (f", first {args.limit} items" if args.limit else ""),
                         notes=notes, run_log=run_log, only=made, worst_per_metric=args.worst)
    report_wall, report_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    total_wall, total_cpu = time.perf_counter() - t_start, cpu_seconds() - c_start
    record = {"suites": suites, "scale": args.scale, "limit": args.limit, "seed": args.seed,
              "checkpoint": str(checkpoint) if checkpoint else None, "notes": notes,
              "jobs": [asdict(j) for j in jobs], "leaderboards": leaderboard_files,
              "report": str(paths.html), "summary": str(paths.summary),
              "timing": {"report_and_leaderboards_wall_s": round(report_wall, 1),
                         "report_and_leaderboards_cpu_s": round(report_cpu, 1),
                         "total_wall_s": round(total_wall, 1), "total_cpu_s": round(total_cpu, 1),
                         "cpu_count": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}}
    atomic_write_text(out / "default.json", json.dumps(record, indent=1) + "\n")
    n_ok = sum(j.status == "ok" for j in jobs)
    say(f"{n_ok}/{len(jobs)} runs ok; total {total_wall:.0f} s wall, {total_cpu:.0f} s CPU "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    say(f"report: {paths.html} ({paths.html.stat().st_size / 1024:.0f} KiB)\nsummary: {paths.summary}")
    if leaderboard_files:
        say(f"leaderboards: {args.report / 'leaderboards'} ({len(leaderboard_files)} files)")
    say(f"record: {out / 'default.json'}\nlog: {term.log}")
    return 0 if n_ok == len(jobs) and jobs else 1
