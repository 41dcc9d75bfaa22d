"""``unison-bench report <runs dir> -o reports/<name>/``: the HTML report and summary.md."""
from __future__ import annotations

import argparse
from pathlib import Path

from unison.core.args import int_in
from unison.core.exit_codes import EXIT_OK


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", type=Path, help="runs folder (what `unison-bench run --out` wrote)")
    p.add_argument("-o", "--output", type=Path, required=True, help="report folder, e.g. reports/default/")
    p.add_argument("--testsets", type=Path, default=None,
                   help="test-set folder holding the scored test sets ($UNISON_BENCH_TESTSETS)")
    p.add_argument("--items", type=int_in(0, 1000), default=2, metavar="N",
                   help="items per suite shown with audio and spectrograms (default 2; 0 = tables only)")
    p.add_argument("--worst", type=int_in(0, 100), default=None, metavar="N",
                   help="worst items listed per system and per-item metric, each with its audio and "
                        "spectrograms (default 2; 0 = none)")
    p.add_argument("--title", default="unison-bench report")


def run(args: argparse.Namespace) -> int:
    from bench.report.build import WORST_ITEMS, build_report

    if args.items < 0:
        raise ValueError(f"--items must be >= 0, got {args.items}")
    paths = build_report(args.runs, args.output, testsets_dir=args.testsets, items_per_suite=args.items,
                         title=args.title, worst_per_metric=WORST_ITEMS if args.worst is None else args.worst)
    size_kb = paths.html.stat().st_size / 1024
    print(f"report: {paths.html} ({size_kb:.0f} KiB, {paths.n_suites} suites, {paths.n_runs} runs, "
          f"{paths.n_clips} clips)\nsummary: {paths.summary}")
    return EXIT_OK
