"""``unison-bench``: list, build, export, run, tabulate, perf, leaderboard, and (parsers built on use)
regress, compare, report, default, invariance, weights.

Exit codes (unison.core.exit_codes): 0 success, 1 the command ran and failed (or a check failed), 2 bad
input (unknown name, invalid suite file, unreadable or malformed results, bad arguments).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from bench.progress import add_no_progress
from unison.core.args import SEED, int_in
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK

LAZY_SUBCOMMANDS = {"regress": ("bench.regress", "check a results.json against a baseline"),
                    "compare": ("bench.compare", "compare systems / checkpoints side by side"),
                    "report": ("bench.report.cli", "HTML report (tables, audio, spectrograms) + summary.md of a runs folder"),
                    "default": ("bench.default", "the embedded default: every mini suite x every system that runs here"),
                    "invariance": ("bench.invariance", "same items at several batch sizes / thread counts: identical?"),
                    "weights": ("bench.weights.cli", "evaluator and model weights: list, verify (checksums), fetch")}
log = logging.getLogger("bench.cli")


def _bad_input_errors() -> tuple[type[BaseException], ...]:
    from bench.registry import RegistryError
    from bench.results import ResultsError
    from bench.spec import SpecError
    from bench.export import ExportError
    from bench.systems.base import SystemInputError
    from bench.testset import ManifestError

    return (RegistryError, ResultsError, SpecError, ManifestError, SystemInputError, ExportError, FileNotFoundError)


def cmd_ls(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.spec import SpecError, load_spec

    what = args.what
    if what in ("all", "suites"):
        print("suites:")
        for name, path in registry.suite_files(args.suites_dir).items():
            try:
                s = load_spec(path)
                print(f"  {name:24s} v{s.version:6s} tasks={','.join(s.tasks)}  scales={','.join(s.scales)}  "
                      f"metrics={','.join(s.metrics)}")
            except SpecError as e:
                print(f"  {name:24s} INVALID: {e}")
    if what in ("all", "systems"):
        print("systems:")
        for name in registry.SYSTEMS.names():
            print(f"  {name:24s} {registry.SYSTEMS.entries()[name]}")
    if what in ("all", "metrics"):
        print("metrics (name@variant, version, direction, protocol, extractors by role):")
        for key in registry.METRICS.names():
            try:
                m = registry.METRICS.get(key)
                arrow = "higher" if m.higher_is_better else "lower"
                proto = "paper" if m.paper_protocol else "offline"
                needs = ",".join(f"{r}={e}" for r, e in (m.needs or {}).items())
                print(f"  {key:32s} v{m.version:4s} {arrow:6s} {proto:7s} {needs}")
            except Exception as e:  # noqa: BLE001 - listing must not die on one broken entry
                print(f"  {key:32s} cannot load: {type(e).__name__}: {e}")
    if what in ("all", "extractors"):
        print("extractors:")
        for name in registry.EXTRACTORS.names():
            print(f"  {name:24s} {registry.EXTRACTORS.entries()[name]}")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.testset import build_testset

    spec = registry.load_suite(args.suite, args.suites_dir)
    ts = build_testset(spec, args.scale, args.testsets, rebuild=args.rebuild)
    print(f"{spec.name} ({args.scale}): {len(ts.items)} items, hash {ts.hash}\n{ts.root}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.export import export_testset

    spec = registry.load_suite(args.suite, args.suites_dir)
    rep = export_testset(spec, args.scale, args.output, limit=args.limit, testsets_dir=args.testsets)
    how = "updated" if rep.rewritten else "wrote"
    print(f"{spec.name} ({args.scale}): {how} {rep.n_items} items, {rep.n_files} files, test set {rep.testset_hash}\n"
          f"{rep.dest}  (format: {rep.dest / 'FORMAT.md'})\n"
          f"score your outputs: unison-bench run {spec.name} --scale {args.scale}"
          f"{f' --limit {args.limit}' if args.limit else ''} --system files:OUTPUTS --system-arg name=MyModel")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.logfile import log_to_file
    from bench.progress import Progress
    from bench.run import RunOptions, run, run_dir
    from bench.tables import notes_markdown, rows_from_results, to_markdown

    spec = registry.load_suite(args.suite, args.suites_dir)
    system_args = registry.parse_system_args(args.system_arg)
    system = registry.create_system(args.system, system_args)  # an unknown name fails before any work
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    seeds = args.seeds or [args.seed]
    reports = []
    for seed in seeds:
        opts = RunOptions(suite=spec, system=system, system_name=args.system, system_args=system_args,
                          seed=seed, scale=args.scale, limit=args.limit,
                          out=Path(args.out), testsets_dir=args.testsets, cache_dir=args.cache,
                          metrics=args.metrics.split(",") if args.metrics else None, batch_size=args.batch_size)
        log_path = run_dir(opts) / "log.txt"  # one log per run, beside its results
        print(f"run {spec.name} · {opts.label} · seed {seed} (details: {log_path})", flush=True)
        with log_to_file(log_path, verbose=args.verbose) as term:
            opts.progress = Progress(enabled=not args.no_progress, stream=term.err)
            report = run(opts)
        if report.results is None:
            print("generated this rank's share; rank 0 writes the results")
            return EXIT_OK
        print(to_markdown(rows_from_results(report.results)) + notes_markdown([report.results]))
        print(f"results: {report.results_path}\nlog: {log_path}")
        reports.append(report)
    if len(seeds) > 1:
        _write_seed_summary(reports)
    return EXIT_OK


def _parse_seeds(text: str) -> list[int]:
    """argparse type of --seeds: "0,1,2" -> [0, 1, 2]; a bad list is a usage error (exit 2)."""
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes comma-separated integers such as 0,1,2, got {text!r}") from None
    if len(set(seeds)) != len(seeds) or not seeds:
        raise argparse.ArgumentTypeError(f"must list distinct seeds, got {text!r}")
    return seeds


def _write_seed_summary(reports) -> None:
    """mean ± std across seeds beside the per-seed values -> <run>/seeds.json + a printed table."""
    import json

    from bench.multiseed import aggregate_seeds, format_mean_std
    from bench.results import load_results
    from unison.core.files import atomic_write_text

    agg = aggregate_seeds([load_results(r.results_path) for r in reports])  # what is on disk, validated
    dest = reports[0].results_path.parent.parent / "seeds.json"  # <out>/<suite>/<system>/seeds.json
    atomic_write_text(dest, json.dumps(agg, indent=2, sort_keys=True))
    print(f"\n| metric | mean ± std (per seed {agg['seeds']}) |\n|---|---|")
    for key, cell in agg["metrics"].items():
        print(f"| `{key}` | {format_mean_std(cell)} |")
    print(f"seeds: {dest}")


def cmd_table(args: argparse.Namespace) -> int:
    from bench.tables import render

    try:
        text = render(args.results, args.format, subsets=not args.no_subsets)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.output:
        from unison.core.files import atomic_write_text

        atomic_write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_perf(args: argparse.Namespace) -> int:
    from bench.cache_speedup import run_perf

    return run_perf(args)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from bench.leaderboard import run as run_leaderboard

    return run_leaderboard(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unison-bench", description="UNISON benchmark harness")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="everything on the terminal too: INFO lines, third-party warnings and prints (which "
                        "otherwise go only to the run's log.txt)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def suite_dirs(sp):
        sp.add_argument("--suites-dir", action="append", default=None, metavar="DIR",
                        help="extra folder with suite YAML files (repeatable; also $UNISON_BENCH_SUITES)")

    sp = sub.add_parser("ls", help="list suites, systems, metrics (versions, variants) and extractors")
    sp.add_argument("what", nargs="?", default="all", choices=["all", "suites", "systems", "metrics", "extractors"])
    suite_dirs(sp)
    sp.set_defaults(func=cmd_ls)

    sp = sub.add_parser("build", help="build a suite's test set")
    sp.add_argument("suite", help="suite name or path to its YAML")
    sp.add_argument("--scale", default="mini", choices=["mini", "paper"])
    sp.add_argument("--testsets", type=Path, default=None, help="test-set folder ($UNISON_BENCH_TESTSETS)")
    sp.add_argument("--rebuild", action="store_true", help="rebuild even if an identical spec was built")
    suite_dirs(sp)
    sp.set_defaults(func=cmd_build)

    sp = sub.add_parser("export", help="write a test set for models run outside bench (items.jsonl, audio, "
                                       "FORMAT.md, and the suite's Seed-TTS / AudioCaps layouts)")
    sp.add_argument("suite", help="suite name or path to its YAML")
    sp.add_argument("--scale", default="mini", choices=["mini", "paper"])
    sp.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                    help="a new or empty folder (or a previous export of the same test set, updated in place)")
    sp.add_argument("--limit", type=int_in(1), default=None, help="only the first N items")
    sp.add_argument("--testsets", type=Path, default=None, help="test-set folder ($UNISON_BENCH_TESTSETS)")
    suite_dirs(sp)
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("run", help="generate, score and write results.json for one system")
    sp.add_argument("suite", help="suite name or path to its YAML")
    sp.add_argument("--system", required=True,
                    help="catalog name, or name:<arg> (e.g. voice:flite-slt, unison:/path/ckpt.safetensors)")
    sp.add_argument("--system-arg", action="append", default=None, metavar="KEY=VALUE",
                    help="keyword argument for the system's factory (repeatable), e.g. ckpt=/path/ckpt.safetensors")
    sp.add_argument("--limit", type=int_in(1), default=None, help="only the first N items (smoke runs)")
    sp.add_argument("--seed", type=SEED, default=0)
    sp.add_argument("--batch-size", type=int_in(1, 4096), default=None,
                    help="items per generation call (default: the system's own); outputs do not depend on it")
    sp.add_argument("--threads", type=int_in(1, 1024), default=None,
                    help="torch intra-op threads (default: torch's own); outputs do not depend on it on CPU")
    sp.add_argument("--seeds", type=_parse_seeds, default=None, help="several runs, e.g. 0,1,2: adds mean ± std across seeds (seeds.json)")
    sp.add_argument("--scale", default="mini", choices=["mini", "paper"])
    sp.add_argument("--out", default="runs", help="run folder (default runs/)")
    sp.add_argument("--metrics", default=None, help="comma-separated name@variant list overriding the suite's")
    sp.add_argument("--testsets", type=Path, default=None)
    sp.add_argument("--cache", type=Path, default=None, help="feature cache folder (default <out>/.cache/features)")
    add_no_progress(sp)
    suite_dirs(sp)
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("table", help="Markdown / CSV / LaTeX tables from results.json files")
    sp.add_argument("results", nargs="+", type=Path)
    sp.add_argument("--format", default="md", choices=["md", "csv", "latex"])
    sp.add_argument("--no-subsets", action="store_true", help="overall rows only")
    sp.add_argument("-o", "--output", default=None)
    sp.set_defaults(func=cmd_table)

    sp = sub.add_parser("leaderboard", help="published paper tables with measured rows beside them (md + csv)")
    from bench.leaderboard import add_arguments as leaderboard_arguments

    leaderboard_arguments(sp)
    sp.set_defaults(func=cmd_leaderboard)

    sp = sub.add_parser("perf", help="time a cold and a warm run of a suite (cache speed-up, clips/s per extractor)")
    from bench.cache_speedup import add_arguments as perf_arguments

    perf_arguments(sp)
    sp.set_defaults(func=cmd_perf)

    for name, (_, help_text) in LAZY_SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)  # real parser built on use
    return p


def _run_lazy(name: str, argv: list[str], verbose: bool) -> int:
    module_name = LAZY_SUBCOMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        print(f"error: `unison-bench {name}` needs {module_name}, which is not importable ({e})", file=sys.stderr)
        return EXIT_FAIL
    p = argparse.ArgumentParser(prog=f"unison-bench {name}")
    module.add_arguments(p)
    args = p.parse_args(argv)
    args.verbose = verbose  # -v is taken before the subcommand's own parser sees the arguments
    return int(module.run(args))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    bad_input = _bad_input_errors()
    rest = [a for a in argv if a not in ("-v", "--verbose")]
    try:
        if rest and rest[0] in LAZY_SUBCOMMANDS:
            return _run_lazy(rest[0], rest[1:], verbose)
        args = build_parser().parse_args((["-v"] if verbose else []) + rest)
        return int(args.func(args))
    except SystemExit as e:  # argparse: 2 on bad arguments, 0 on --help
        return int(e.code) if isinstance(e.code, int) else EXIT_BAD_INPUT
    except bad_input as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - one line for users, the traceback with -v
        log.debug("failure", exc_info=True)
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        if verbose:
            raise
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
