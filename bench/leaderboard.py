"""Leaderboards: the paper's published numbers with rows measured here beside them.

``unison-bench leaderboard runs/`` reads every results.json given (files or folders searched for
results.json), maps each suite to its published table (the suite YAML's ``leaderboard`` block:
table, which results cell fills a column, per-sub-task rows, checkpoint row labels), and writes per
table ``<out>/<table>.md`` (wide) and ``<out>/<table>.csv`` (long, the published CSV's columns plus
provenance). Results of a suite without a ``leaderboard`` block (or not on this machine) are
skipped with a warning; published tables no suite maps (other papers') are listed as published-only.

Columns. The paper's columns keep the paper's headers and hold ONLY numbers measured under the
paper's protocol: a measured cell fills a paper column only if its results key equals the
column's protocol (``name@variant``) and the cell is marked ``paper_protocol``. A paper cell that
could not be measured shows a footnote marker, ``n/a¹``, and its reason (e.g. missing weights) once below
the table; the CSV keeps the reason in ``unavailable`` and the marker's number in ``footnote``. Every other measured
metric gets its own column named by its variant: "<paper header> [<name@variant>]" when it measures
the same quantity as a paper column (same metric name, e.g. WER with faster-whisper), else
"<name@variant>". Measured rows say "measured here", with scale, seed, date, n and the 95 % CI.
"""
from __future__ import annotations

import csv
import io
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from bench.spec import Checkpoints, LeaderboardMap, SuiteSpec

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_DIR = REPO / "leaderboards" / "published"
GENERATED_DIR = Path("leaderboards") / "generated"
PUBLISHED_FIELDS = ("table", "subset", "system", "params", "metric", "value", "direction", "protocol", "note")
CSV_FIELDS = PUBLISHED_FIELDS + ("source", "ci95_lo", "ci95_hi", "n", "n_failed", "unavailable", "suite", "scale",
                                 "seed", "date", "results", "footnote")


class LeaderboardError(ValueError):
    """Unreadable published table, or no results at the given paths; the message names the file.
    (A malformed results.json raises bench.results.ResultsError.)"""


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # results metric key (name@variant) the value comes from
    subset: str | None  # results subset (None = overall); overridden by the row's subset when it has one
    paper: bool  # a published column (paper protocol) vs a measured-only column
    protocol: str = ""


@dataclass
class Table:
    name: str
    published: list[dict[str, str]]
    spec: SuiteSpec  # the suite whose ``leaderboard`` block maps this table
    columns: list[Column] = field(default_factory=list)
    measured: list[dict[str, Any]] = field(default_factory=list)  # loaded results.json files

    @property
    def mapping(self) -> LeaderboardMap:
        return self.spec.leaderboard


def metric_name(key: str) -> str:
    return key.split("@", 1)[0]


def read_published(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise LeaderboardError(f"{path}: cannot read published table ({e})") from e
    if rows and set(PUBLISHED_FIELDS) - set(rows[0]):
        raise LeaderboardError(f"{path}: published tables need the columns {list(PUBLISHED_FIELDS)}")
    return rows


def paper_columns(mapping: LeaderboardMap, rows: list[dict[str, str]]) -> list[Column]:
    """The published columns, each filled by the cell the suite maps to it (default: the overall
    cell of the column's protocol key)."""
    cols: dict[str, Column] = {}
    for r in rows:
        h = r["metric"]
        if h not in cols:
            src = mapping.columns.get(h)
            key, subset = (src.metric, src.subset) if src else (None, None)
            cols[h] = Column(h, key or r["protocol"], subset, True, r["protocol"])
    return list(cols.values())


def check_mapping(spec: SuiteSpec, published_dir: Path) -> list[dict[str, str]]:
    """The published rows of the table ``spec`` maps, after checking that the table, the columns
    and the row subsets it names exist there. LeaderboardError names the suite file and field."""
    mapping = spec.leaderboard
    pub = published_dir / f"{mapping.table}.csv"
    if not pub.is_file():
        known = sorted(p.stem for p in published_dir.glob("*.csv"))
        raise LeaderboardError(f"{spec.path}: field 'leaderboard.table': no published table {mapping.table!r} "
                               f"({pub} does not exist); published tables: {', '.join(known) or '(none)'}")
    rows = read_published(pub)
    headers = list(dict.fromkeys(r["metric"] for r in rows))
    for h in mapping.columns:
        if h not in headers:
            raise LeaderboardError(f"{spec.path}: field 'leaderboard.columns.{h}': table {mapping.table!r} has no "
                                   f"column {h!r}; its columns are {headers}")
    subsets = sorted({r["subset"] for r in rows})
    for s in mapping.rows:
        if s not in subsets:
            raise LeaderboardError(f"{spec.path}: field 'leaderboard.rows.{s}': table {mapping.table!r} has no "
                                   f"rows of subset {s!r}; its subsets are {subsets}")
    return rows


def measured_cells(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every metric key present overall or in a subset -> one example cell (for name / protocol)."""
    out = dict(results.get("metrics", {}))
    for cells in results.get("subsets", {}).values():
        for k, c in cells.items():
            out.setdefault(k, c)
    return out


def extra_columns(table: Table) -> list[Column]:
    """Columns for measured metrics that are not a paper column's own key (named by variant)."""
    paper = [c for c in table.columns if c.paper]
    paper_keys = {c.key for c in paper}
    extra: dict[str, Column] = {}
    for res in table.measured:
        for key, cell in measured_cells(res).items():
            if key in paper_keys and cell.get("paper_protocol"):
                continue
            twins = [c for c in paper if metric_name(c.protocol) == metric_name(key)]
            for c in twins or [None]:
                col = Column(f"{c.header} [{key}]", key, c.subset, False) if c else Column(key, key, None, False)
                extra.setdefault(col.header, col)
    return list(extra.values())


def cell_for(results: dict[str, Any], col: Column, row_subset: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(results cell, None) or (None, why it is missing)."""
    subset = row_subset if row_subset is not None else col.subset
    cells = results.get("metrics", {}) if subset is None else results.get("subsets", {}).get(subset, {})
    cell = cells.get(col.key)
    if cell is None and col.paper and col.key.endswith("@unspecified"):
        return None, "the paper names no model for this metric; see its [name@variant] column"
    if cell is None:
        where = f" (subset {subset})" if subset else ""
        return None, f"not measured in this run: {col.key}{where}"
    if col.paper and not cell.get("paper_protocol"):
        # never put an offline variant under a paper column, whatever its key says
        return None, f"{col.key} in these results is not marked paper-protocol"
    return cell, None


def fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def short_reason(reason: str, limit: int = 120) -> str:
    """The first sentence of a reason (the Markdown table stays readable; the CSV keeps it whole)."""
    first = reason.split(". ")[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class Footnotes:
    """Numbers the distinct reasons of one table's unavailable cells in order of first use, so a
    cell says ``n/a¹`` and the reason is written once below the table (and in the CSV's
    ``footnote`` column)."""

    def __init__(self) -> None:
        self.reasons: dict[str, int] = {}

    def number(self, reason: str) -> int:
        return self.reasons.setdefault(reason, len(self.reasons) + 1)

    def marker(self, reason: str) -> str:
        return str(self.number(reason)).translate(SUPERSCRIPT)

    def lines(self) -> list[str]:
        return [f"{str(k).translate(SUPERSCRIPT)} {_md(r)}" for r, k in self.reasons.items()]


def unavailable_reason(cell: dict[str, Any] | None, why: str | None, paper: bool = True) -> str | None:
    """Why a cell holds no number (None when it holds one, or is a measured-only column this run lacks)."""
    if cell is None:  # a paper column always says why it is empty; a measured-only column just is
        return why if paper or not why.startswith("not measured") else None
    if cell.get("unavailable") or cell.get("value") is None:
        return str(cell.get("unavailable") or "no value")
    return None


def cell_text(cell: dict[str, Any] | None, why: str | None, paper: bool = True,
              notes: Footnotes | None = None) -> str:
    """``value [CI] n=..``, ``n/a¹`` (with ``notes``; else the reason's first sentence) or "—"."""
    reason = unavailable_reason(cell, why, paper)
    if reason is not None:
        return f"n/a{notes.marker(reason)}" if notes is not None else f"unavailable: {short_reason(reason)}"
    if cell is None:
        return "—"
    ci = cell.get("ci95")
    ci_txt = f" [{fmt(ci[0])}, {fmt(ci[1])}]" if ci and ci[0] is not None else ""
    return f"{fmt(cell['value'])}{ci_txt} n={cell.get('n', '')}"


def row_subsets(table: Table) -> list[tuple[str, str | None]]:
    """(published row subset, results subset) of each measured row; one overall row by default."""
    return list(table.mapping.rows.items()) or [("", None)]


def measured_label(res: dict[str, Any], spec: SuiteSpec | None = None) -> dict[str, str]:
    """How a measured run's rows are labelled; ``spec``: its suite (default: found by name). A run
    of one of the suite's own checkpoints is labelled by the suite's ``leaderboard.checkpoint_rows``."""
    suite = res["suite"]
    label = {"system": str(res["system"]["name"]), "scale": str(suite.get("scale", "")), "seed": str(res.get("seed", "")),
             "date": str(res.get("created", ""))[:10], "suite": str(suite.get("name", "")),
             "params": checkpoint_params(res), "subset": ""}
    spec = spec or suite_spec(str(suite.get("name", "")))
    entry = checkpoint_entry(res, spec.checkpoints) if spec is not None and spec.checkpoints else None
    if entry and spec.leaderboard:
        for key, template in spec.leaderboard.checkpoint_rows.items():
            label[key] = template.format(**entry)
    return label


def checkpoint_params(res: dict[str, Any]) -> str:
    """Trainable parameters of a UNISON checkpoint system, counted from the model config recorded in
    its signature (no network is built, no weights are read). "" for other systems."""
    cfg = (res["system"].get("signature") or {}).get("config")
    if not isinstance(cfg, dict) or "model" not in cfg:
        return ""
    from bench.systems.unison import checkpoint_params as count

    return f"{count(cfg) / 1e6:.2f}M"


def checkpoint_entry(res: dict[str, Any], checkpoints: Checkpoints) -> dict[str, Any] | None:
    """The suite's checkpoint entry (at the run's scale) whose file is this run's checkpoint."""
    ckpt = (res["system"].get("signature") or {}).get("checkpoint")
    if not ckpt:
        return None
    entries = checkpoints.entries(str(res["suite"].get("scale")))
    return next((e for e in entries if checkpoints.file(e) == Path(ckpt).name), None)


def suite_spec(name: str, suites_dir: list[str] | None = None) -> SuiteSpec | None:
    """The suite's spec, or None for a suite this machine does not have (or cannot read)."""
    from bench import registry
    from bench.spec import SpecError

    try:
        return registry.load_suite(name, suites_dir)
    except (registry.RegistryError, SpecError):
        return None


# ---------------------------------------------------------------- output

def markdown_rows(table: Table) -> tuple[list[str], list[list[str]], Footnotes]:
    """Header, rows (published, then measured) and the footnotes their ``n/a`` markers point to."""
    cols = table.columns
    head = ["Source", "System", "Params", "Subset", "Scale", "Seed", "Date"] + [c.header for c in cols]
    rows: list[list[str]] = []
    pub_rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in table.published:
        row = pub_rows.setdefault((r["subset"], r["system"], r["params"]), {})
        row[r["metric"]] = r["value"]  # notes stay in the CSV
    for (subset, system, params), vals in pub_rows.items():
        rows.append(["published", system, params, subset, "paper", "", ""] + [vals.get(c.header, "") for c in cols])
    notes = Footnotes()
    for res in table.measured:
        lab = measured_label(res, table.spec)
        for pub_subset, rs in row_subsets(table):
            cells = ["measured here", lab["system"], lab["params"], lab["subset"] or pub_subset, lab["scale"],
                     lab["seed"], lab["date"]]
            cells += [cell_text(*cell_for(res, c, rs), paper=c.paper, notes=notes) for c in cols]
            rows.append(cells)
    return head, rows, notes


def to_markdown(table: Table) -> str:
    head, rows, notes = markdown_rows(table)
    lines = [f"# {table.name}", "",
             "Paper columns hold only paper-protocol numbers; measured offline variants have their own "
             "columns named `[name@variant]`. Measured cells: value [95 % CI] n=items; `n/a¹` = not measured "
             "here, for the numbered reason below the table.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_md(x) for x in cells) + " |" for cells in rows]
    if notes.reasons:
        lines += [""] + [f"{line}  " for line in notes.lines()]
    return "\n".join(lines) + "\n"


def _md(x: str) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    notes = Footnotes()  # the same numbering as the Markdown table's n/a markers
    for r in table.published:
        w.writerow({**{k: r.get(k, "") for k in PUBLISHED_FIELDS}, "source": "published"})
    for res in table.measured:
        lab = measured_label(res, table.spec)
        for pub_subset, rs in row_subsets(table):
            for c in table.columns:
                cell, why = cell_for(res, c, rs)
                if cell is None and why and why.startswith("not measured") and not c.paper:
                    continue  # a measured-only column this run does not have
                ci = (cell or {}).get("ci95") or [None, None]
                unavailable = unavailable_reason(cell, why, c.paper)
                hib = (cell or {}).get("higher_is_better")
                w.writerow({"table": table.name, "subset": lab["subset"] or pub_subset, "system": lab["system"],
                            "params": lab["params"],
                            "metric": c.header, "value": fmt((cell or {}).get("value")),
                            "direction": "" if hib is None else ("higher" if hib else "lower"),
                            "protocol": c.key, "note": "paper protocol" if c.paper else "offline / measured-only column",
                            "source": "measured here", "ci95_lo": fmt(ci[0]), "ci95_hi": fmt(ci[1]),
                            "n": (cell or {}).get("n", ""), "n_failed": (cell or {}).get("n_failed", ""),
                            "unavailable": unavailable or "", "suite": lab["suite"], "scale": lab["scale"],
                            "seed": lab["seed"], "date": lab["date"], "results": res.get("_path", ""),
                            "footnote": notes.number(unavailable) if unavailable else ""})
    return buf.getvalue()


# ---------------------------------------------------------------- assembling

def results_files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.rglob("results.json"))
        elif p.is_file():
            out.append(p)
        else:
            raise LeaderboardError(f"{p}: no such results file or folder")
    if not out:
        raise LeaderboardError("no results.json found in the given paths")
    return out


def build_tables(results: Iterable[str | Path], published_dir: Path = PUBLISHED_DIR,
                 suites_dir: list[str] | None = None) -> dict[str, Table]:
    from bench.results import load_results

    tables: dict[str, Table] = {}
    specs: dict[str, SuiteSpec | None] = {}
    for path in results_files(results):
        res = load_results(path)  # ResultsError names the file, metric and value
        res["_path"] = str(path)
        suite = res["suite"]["name"]
        if suite not in specs:
            specs[suite] = suite_spec(suite, suites_dir)
        spec = specs[suite]
        if spec is None or spec.leaderboard is None:
            why = "is not on this machine" if spec is None else f"has no leaderboard block ({spec.path})"
            log.warning("%s: suite %r %s; skipped", path, suite, why)
            continue
        name = spec.leaderboard.table
        if name not in tables:
            rows = check_mapping(spec, published_dir)
            tables[name] = Table(name, rows, spec, paper_columns(spec.leaderboard, rows))
        elif tables[name].spec.leaderboard != spec.leaderboard:
            raise LeaderboardError(f"{spec.path}: field 'leaderboard': maps table {name!r} differently from "
                                   f"{tables[name].spec.path}; one table takes one mapping")
        tables[name].measured.append(res)
    for t in tables.values():
        t.measured.sort(key=lambda r: (r["system"]["name"], r.get("seed", 0), r["suite"].get("scale", "")))
        t.columns = [c for c in t.columns if c.paper] + extra_columns(t)
    return tables


def published_only(published_dir: Path = PUBLISHED_DIR, suites_dir: list[str] | None = None) -> list[str]:
    """Published tables no suite maps (e.g. other papers'): shown as published numbers only."""
    from bench import registry

    mapped = set()
    for name in registry.suite_files(suites_dir):
        spec = suite_spec(name, suites_dir)
        if spec is not None and spec.leaderboard is not None:
            mapped.add(spec.leaderboard.table)
    return sorted(p.stem for p in published_dir.glob("*.csv") if p.stem not in mapped)


def write_leaderboards(results: Iterable[str | Path], out: Path = GENERATED_DIR, published_dir: Path = PUBLISHED_DIR,
                       suites_dir: list[str] | None = None) -> list[Path]:
    from unison.core.files import atomic_write_text

    written = []
    for name, table in sorted(build_tables(results, published_dir, suites_dir).items()):
        for suffix, text in ((".md", to_markdown(table)), (".csv", to_csv(table))):
            p = Path(out) / f"{name}{suffix}"
            atomic_write_text(p, text)
            written.append(p)
    return written


def add_arguments(p) -> None:
    p.add_argument("results", nargs="+", type=Path, help="results.json files or folders holding them (e.g. runs/)")
    p.add_argument("--published", type=Path, default=PUBLISHED_DIR, help="folder of published tables")
    p.add_argument("--out", type=Path, default=GENERATED_DIR, help="where <table>.md / <table>.csv go")
    p.add_argument("--suites-dir", action="append", default=None, metavar="DIR")


def run(args) -> int:
    from bench.results import ResultsError

    try:
        written = write_leaderboards(args.results, args.out, args.published, args.suites_dir)
    except (LeaderboardError, ResultsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for p in written:
        print(p)
    others = published_only(args.published, args.suites_dir)
    if others:
        print(f"published only (no suite maps them): {', '.join(others)}")
    return EXIT_OK
