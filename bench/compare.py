"""``unison-bench compare A.json B.json [C.json ...]``

Side by side: each result's value (with its CI), the delta against the FIRST result of the same
suite, and a paired bootstrap CI of that delta over the items both scored (from the samples.jsonl
beside each results.json); ``*`` marks a delta whose CI excludes 0. With per-item scores the delta
printed is the paired mean over those items (said when some item was scored by one side only), so
it always sits inside its CI; set-level metrics print the difference of the two values. Then the paper's ablation
layout: rows = systems / checkpoints, columns = metrics (several suites may be given: a system's
row gathers its metrics from all of them).

``--html ab.html`` (exactly two results of one suite) also writes the A/B page (bench.report.ab):
the same deltas as the text, the verdict per metric, and per item both outputs side by side.

Exit codes: 0 shown, 2 bad input (missing / malformed results.json or samples.jsonl, e.g. a NaN
score; other harness major version, the same suite with different versions or test sets).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.regress import markdown_table, plain_table
from bench.results import ResultsError
from bench.resultset import BadInput, LoadedResults, load, metric_differences, suite_differences
from bench.stats import PairedResult, paired_bootstrap
from unison.core.args import SEED, float_in, int_in
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK


@dataclass
class Delta:
    """Difference of one metric between a result and its suite's first result."""

    value: float | None  # result - baseline on the reported aggregates
    paired: PairedResult | None  # paired bootstrap on per-item scores (None for set-level metrics)
    note: str = ""

    def mark(self) -> str:
        return "*" if self.paired is not None and self.paired.significant else ""

    @property
    def shown(self) -> float | None:
        """What the tables print: with a paired test, the mean of the per-item differences over the
        items both scored (so the number sits inside its own CI even when the two runs failed
        different items); else the difference of the aggregates."""
        return self.paired.delta if self.paired is not None else self.value


def paired_delta(base: LoadedResults, new: LoadedResults, key: str, n_boot: int, seed: int,
                 level: float) -> tuple[PairedResult | None, str]:
    if base.samples is None or new.samples is None:
        return None, "no samples.jsonl"
    a, b = base.item_scores(key), new.item_scores(key)
    ids = sorted(set(a) & set(b))
    if not ids:
        return None, "set-level"
    pairs = [(a[i], b[i]) for i in ids]
    if not any(x is not None and y is not None for x, y in pairs):
        return None, "no item scored by both"
    return paired_bootstrap([x for x, _ in pairs], [y for _, y in pairs], n_boot=n_boot, seed=seed,
                            level=level), ""


def group_by_suite(results: list[LoadedResults]) -> dict[str, list[LoadedResults]]:
    groups: dict[str, list[LoadedResults]] = {}
    for r in results:
        groups.setdefault(r.data["suite"]["name"], []).append(r)
    return groups


def check_comparable(groups: dict[str, list[LoadedResults]]) -> None:
    diffs = []
    for suite, rs in groups.items():
        for r in rs[1:]:
            diffs += [f"{r.path}: {d}" for d in suite_differences(rs[0], r)]
    if diffs:
        raise BadInput("refusing to compare:\n  " + "\n  ".join(diffs))


def compute_deltas(groups: dict[str, list[LoadedResults]], n_boot: int = 1000, seed: int = 0,
                   level: float = 0.95) -> dict[tuple[int, str], Delta]:
    """{(id(result), metric key): Delta} for every non-first result of each suite."""
    out: dict[tuple[int, str], Delta] = {}
    for rs in groups.values():
        base = rs[0]
        for r in rs[1:]:
            for key, cell in r.metrics.items():
                bcell = base.metrics.get(key)
                if bcell is None:
                    continue
                diff = metric_differences(key, bcell, cell)
                if diff:
                    out[(id(r), key)] = Delta(None, None, "incomparable: " + "; ".join(diff))
                    continue
                if bcell.get("value") is None or cell.get("value") is None:
                    out[(id(r), key)] = Delta(None, None, "unavailable")
                    continue
                paired, note = paired_delta(base, r, key, n_boot, seed, level)
                out[(id(r), key)] = Delta(cell["value"] - bcell["value"], paired, note)
    return out


def _v(cell: dict | None) -> str:
    if cell is None:
        return ""
    if cell.get("value") is None:
        return "n/a"
    s = f"{cell['value']:.4g}"
    ci = cell.get("ci95")
    return s + (f" [{ci[0]:.3g}, {ci[1]:.3g}]" if ci else "")


def _d(delta: Delta | None) -> str:
    if delta is None:
        return ""
    if delta.value is None:
        return delta.note
    s = f"{delta.shown:+.4g}{delta.mark()}"
    if delta.paired is not None:
        p = delta.paired
        s += f" [{p.ci_lo:+.3g}, {p.ci_hi:+.3g}] p={p.p_value:.3g}" + (f" ({p.n} items both scored)" if p.n_missing else "")
    elif delta.note:
        s += f" ({delta.note})"
    return s


def side_by_side(groups: dict[str, list[LoadedResults]], deltas: dict[tuple[int, str], Delta]
                 ) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per suite: (title, header, rows) with one row per metric."""
    tables = []
    for suite, rs in groups.items():
        header = ["metric", "dir"]
        for i, r in enumerate(rs):
            header.append(r.label + (" (base)" if i == 0 else ""))
            if i > 0:
                header.append(f"Δ {r.label}")
        keys = list(dict.fromkeys(k for r in rs for k in r.metrics))
        rows = []
        for key in keys:
            hib = next(r.metrics[key]["higher_is_better"] for r in rs if key in r.metrics)
            row = [key, "↑" if hib else "↓"]
            for i, r in enumerate(rs):
                row.append(_v(r.metrics.get(key)))
                if i > 0:
                    row.append(_d(deltas.get((id(r), key))))
            rows.append(row)
        tables.append((f"suite {suite} v{rs[0].data['suite']['version']}", header, rows))
    return tables


def ablation_table(results: list[LoadedResults], deltas: dict[tuple[int, str], Delta]
                   ) -> tuple[list[str], list[list[str]]]:
    """Rows = systems (checkpoints) in input order; columns = metrics (suite-qualified if a key
    appears in several suites); cells = value, plus delta and mark vs the suite's first result."""
    cols: list[tuple[str, str]] = []  # (suite, key)
    for r in results:
        for key in r.metrics:
            if (r.data["suite"]["name"], key) not in cols:
                cols.append((r.data["suite"]["name"], key))
    dup = {k for _, k in cols if sum(1 for _, k2 in cols if k2 == k) > 1}
    header = ["system"] + [f"{s}:{k}" if k in dup else k for s, k in cols]
    systems = list(dict.fromkeys(r.label for r in results))
    rows = []
    for label in systems:
        row = [label]
        for suite, key in cols:
            r = next((x for x in results if x.label == label and x.data["suite"]["name"] == suite
                      and key in x.metrics), None)
            if r is None:
                row.append("")
                continue
            cell = r.metrics[key]
            text = "n/a" if cell.get("value") is None else f"{cell['value']:.4g}"
            d = deltas.get((id(r), key))
            if d is not None and d.value is not None:
                text += f" ({d.shown:+.3g}{d.mark()})"
            row.append(text)
        rows.append(row)
    return header, rows


def render(results: list[LoadedResults], n_boot: int = 1000, seed: int = 0, level: float = 0.95,
           markdown: bool = False, deltas: dict[tuple[int, str], Delta] | None = None) -> str:
    """The tables; ``deltas``: already computed by compute_deltas with the same arguments."""
    groups = group_by_suite(results)
    check_comparable(groups)
    if deltas is None:
        deltas = compute_deltas(groups, n_boot, seed, level)
    table = markdown_table if markdown else plain_table
    parts = []
    for title, header, rows in side_by_side(groups, deltas):
        parts += [f"## {title}" if markdown else title, "", table(rows, header), ""]
    header, rows = ablation_table(results, deltas)
    parts += ["## ablation layout" if markdown else "ablation layout (rows = systems, cols = metrics)", "",
              table(rows, header), "",
              f"Δ vs the first result of each suite; * = paired bootstrap {int(level * 100)}% CI of the "
              f"difference excludes 0 ({n_boot} resamples of the items both scored, seed {seed})."]
    return "\n".join(parts) + "\n"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", nargs="+", help="results.json files (or run folders); the first of each "
                                               "suite is the baseline of the deltas")
    p.add_argument("--markdown", help="also write the tables as Markdown to this file")
    p.add_argument("--n-boot", type=int_in(10, 1_000_000), default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=SEED, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--level", type=float_in(0.5, 0.999), default=0.95, help="CI level (default 0.95)")
    p.add_argument("--html", type=Path, default=None, metavar="AB.html",
                   help="also write the A/B page of the two results given (one suite): verdicts, and per item "
                        "both outputs side by side with the per-item deltas")
    p.add_argument("--html-items", type=int_in(0, 100_000), default=None, metavar="N",
                   help="items shown with audio on the A/B page (default 24; 0 = all both scored)")
    p.add_argument("--testsets", type=Path, default=None,
                   help="test-set folder for the A/B page's source / reference / target audio ($UNISON_BENCH_TESTSETS)")


def run(args: argparse.Namespace) -> int:
    try:
        if len(args.results) < 1:
            raise BadInput("give at least one results.json")
        if args.html is not None and len(args.results) != 2:
            raise BadInput(f"--html compares exactly two results (A B), got {len(args.results)}")
        results = [load(p) for p in args.results]
        groups = group_by_suite(results)
        check_comparable(groups)
        deltas = compute_deltas(groups, args.n_boot, args.seed, args.level)  # one set for every output
        text = render(results, args.n_boot, args.seed, args.level, deltas=deltas)
        md = render(results, args.n_boot, args.seed, args.level, markdown=True, deltas=deltas) if args.markdown else None
        page = None
        if args.html is not None:
            from bench.report.ab import AB_ITEMS, ab_view, render_ab

            view, _ = ab_view(results[0], results[1], deltas, _d, testsets_dir=args.testsets,
                              items=AB_ITEMS if args.html_items is None else args.html_items,
                              n_boot=args.n_boot, seed=args.seed, level=args.level)
            page = render_ab(view)
    except (BadInput, ResultsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(text)
    from unison.core.files import atomic_write_text

    if md is not None:
        atomic_write_text(Path(args.markdown), md)
    if page is not None:
        atomic_write_text(args.html, page)
        print(f"A/B page: {args.html} ({args.html.stat().st_size / 1024:.0f} KiB)")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="unison-bench compare")
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
