"""Leaderboards: the paper's published numbers with rows measured here beside them.

``unison-bench leaderboard runs/`` reads every results.json given (files or folders searched for
results.json), maps each suite to its published table (the suite YAML's ``leaderboard`` field, else
SUITE_TABLES), and writes per table ``<out>/<table>.md`` (wide) and ``<out>/<table>.csv`` (long, the
published CSV's columns plus provenance).

Columns. The paper's columns keep the paper's headers and hold ONLY numbers measured under the
paper's protocol: a measured cell fills a paper column only if its results key equals the
column's protocol (``name@variant``) and the cell is marked ``paper_protocol``. A paper cell that
could not be measured shows "unavailable: <reason>" (e.g. missing weights). Every other measured
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

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_DIR = REPO / "leaderboards" / "published"
GENERATED_DIR = Path("leaderboards") / "generated"
SUITE_TABLES = {"audiocaps_t2a": "t2a_audiocaps", "seedtts": "tts_seedtts", "gender_tts": "gender_tts",
                "t2as": "t2as", "editing": "editing", "speech_in_scene": "speech_in_scene",
                "timed_clap": "timed_clap", "ablations": "ablations"}  # used when a suite file is not found
# Where a published column's measured value comes from when it is not simply the overall cell of
# the column's protocol key: header -> (results key or None = the protocol, results subset or None).
COLUMN_SOURCES: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "tts_seedtts": {"Pure WER": (None, "tts-en"), "Pure CER": (None, "tts-zh"),
                    "ZS WER": (None, "zs-en"), "ZS CER": (None, "zs-zh")},
    "gender_tts": {"WER (male)": (None, "male-en"), "WER (female)": (None, "female-en"),
                   "CER (male)": (None, "male-zh"), "CER (female)": (None, "female-zh")},
    "speech_in_scene": {"GT CLAP": ("clap-gt@laion-music-speech", None)},
    "ablations": {"FD": (None, "t2a"), "CLAP": (None, "t2a"), "WER-EN": (None, "tts-en")},
}
# Tables whose published rows are per sub-task: published subset -> results subset (None = overall).
ROW_SUBSETS: dict[str, dict[str, str | None]] = {
    "editing": {"add": "add", "remove": "remove", "replace": "replace", "overall": None},
    "speech_in_scene": {"insert": "insert", "delete": "delete", "rewrite": "rewrite"},
}
PUBLISHED_FIELDS = ("table", "subset", "system", "params", "metric", "value", "direction", "protocol", "note")
CSV_FIELDS = PUBLISHED_FIELDS + ("source", "ci95_lo", "ci95_hi", "n", "n_failed", "unavailable", "suite", "scale",
                                 "seed", "date", "results")


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
    columns: list[Column] = field(default_factory=list)
    measured: list[dict[str, Any]] = field(default_factory=list)  # loaded results.json files


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


def paper_columns(table: str, rows: list[dict[str, str]]) -> list[Column]:
    cols: dict[str, Column] = {}
    overrides = COLUMN_SOURCES.get(table, {})
    for r in rows:
        h = r["metric"]
        if h not in cols:
            key, subset = overrides.get(h, (None, None))
            cols[h] = Column(h, key or r["protocol"], subset, True, r["protocol"])
    return list(cols.values())


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


def cell_text(cell: dict[str, Any] | None, why: str | None, paper: bool = True) -> str:
    if cell is None:  # a paper column always says why it is empty; a measured-only column just is
        return f"unavailable: {short_reason(why)}" if paper or not why.startswith("not measured") else "—"
    if cell.get("unavailable") or cell.get("value") is None:
        return f"unavailable: {short_reason(cell.get('unavailable') or 'no value')}"
    ci = cell.get("ci95")
    ci_txt = f" [{fmt(ci[0])}, {fmt(ci[1])}]" if ci and ci[0] is not None else ""
    return f"{fmt(cell['value'])}{ci_txt} n={cell.get('n', '')}"


def row_subsets(table: str) -> list[tuple[str, str | None]]:
    return list(ROW_SUBSETS.get(table, {"": None}).items())


def measured_label(res: dict[str, Any]) -> dict[str, str]:
    suite = res["suite"]
    label = {"system": str(res["system"]["name"]), "scale": str(suite.get("scale", "")), "seed": str(res.get("seed", "")),
             "date": str(res.get("created", ""))[:10], "suite": str(suite.get("name", "")),
             "params": checkpoint_params(res), "arch": ""}
    entry = ablation_entry(res)
    if entry:  # the paper's ablation rows are "conditioning" x "arch": label measured checkpoints the same way
        label["system"] = f"{entry.get('conditioning', entry.get('name'))} [{entry.get('name')}]"
        label["arch"] = str(entry.get("arch", ""))
    return label


def checkpoint_params(res: dict[str, Any]) -> str:
    """Trainable parameters of a UNISON checkpoint system, counted from the model config recorded in
    its signature (built on the meta device: no weights are read). "" for other systems."""
    cfg = (res["system"].get("signature") or {}).get("config")
    if not isinstance(cfg, dict) or "model" not in cfg:
        return ""
    import torch

    from unison.config import from_dict
    from unison.model.dit import build_dit, count_parameters

    with torch.device("meta"):
        n = count_parameters(build_dit(from_dict(cfg, cross_checks=False).model))
    return f"{n / 1e6:.2f}M"


def ablation_entry(res: dict[str, Any]) -> dict[str, Any] | None:
    """The suite's ``ablation.checkpoints[scale]`` entry whose file is this run's checkpoint."""
    ckpt = (res["system"].get("signature") or {}).get("checkpoint")
    if not ckpt:
        return None
    try:
        from bench.registry import load_suite

        spec = load_suite(res["suite"]["name"])
    except Exception:  # noqa: BLE001 - a results file from a suite not on this machine: no label
        return None
    entries = ((getattr(spec, "ablation", None) or {}).get("checkpoints") or {}).get(res["suite"].get("scale"), [])
    return next((e for e in entries if e.get("file") == Path(ckpt).name), None)


# ---------------------------------------------------------------- output

def to_markdown(table: Table) -> str:
    cols = table.columns
    head = ["Source", "System", "Params", "Subset", "Scale", "Seed", "Date"] + [c.header for c in cols]
    lines = [f"# {table.name}", "",
             "Paper columns hold only paper-protocol numbers; measured offline variants have their own "
             "columns named `[name@variant]`. Measured cells: value [95 % CI] n=items.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    pub_rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in table.published:
        row = pub_rows.setdefault((r["subset"], r["system"], r["params"]), {})
        row[r["metric"]] = r["value"]  # notes stay in the CSV
    for (subset, system, params), vals in pub_rows.items():
        cells = ["published", system, params, subset, "paper", "", ""] + [vals.get(c.header, "") for c in cols]
        lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
    for res in table.measured:
        lab = measured_label(res)
        for pub_subset, rs in row_subsets(table.name):
            cells = ["measured here", lab["system"], lab["params"], lab["arch"] or pub_subset, lab["scale"], lab["seed"],
                     lab["date"]]
            cells += [cell_text(*cell_for(res, c, rs), paper=c.paper) for c in cols]
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"


def _md(x: str) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in table.published:
        w.writerow({**{k: r.get(k, "") for k in PUBLISHED_FIELDS}, "source": "published"})
    for res in table.measured:
        lab = measured_label(res)
        for pub_subset, rs in row_subsets(table.name):
            for c in table.columns:
                cell, why = cell_for(res, c, rs)
                if cell is None and why and why.startswith("not measured") and not c.paper:
                    continue  # a measured-only column this run does not have
                ci = (cell or {}).get("ci95") or [None, None]
                unavailable = (cell or {}).get("unavailable") or (why if cell is None else None)
                hib = (cell or {}).get("higher_is_better")
                w.writerow({"table": table.name, "subset": lab["arch"] or pub_subset, "system": lab["system"],
                            "params": lab["params"],
                            "metric": c.header, "value": fmt((cell or {}).get("value")),
                            "direction": "" if hib is None else ("higher" if hib else "lower"),
                            "protocol": c.key, "note": "paper protocol" if c.paper else "offline / measured-only column",
                            "source": "measured here", "ci95_lo": fmt(ci[0]), "ci95_hi": fmt(ci[1]),
                            "n": (cell or {}).get("n", ""), "n_failed": (cell or {}).get("n_failed", ""),
                            "unavailable": unavailable or "", "suite": lab["suite"], "scale": lab["scale"],
                            "seed": lab["seed"], "date": lab["date"], "results": res.get("_path", "")})
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


def table_of_suite(suite: str, suites_dir: list[str] | None = None) -> str | None:
    from bench import registry

    try:
        spec = registry.load_suite(suite, suites_dir)
    except Exception:  # noqa: BLE001 - results from a suite this checkout does not ship: fall back
        spec = None
    if spec is not None and spec.leaderboard:
        return Path(spec.leaderboard).stem
    return SUITE_TABLES.get(suite)


def build_tables(results: Iterable[str | Path], published_dir: Path = PUBLISHED_DIR,
                 suites_dir: list[str] | None = None) -> dict[str, Table]:
    from bench.results import load_results

    tables: dict[str, Table] = {}
    for path in results_files(results):
        res = load_results(path)  # ResultsError names the file, metric and value
        res["_path"] = str(path)
        suite = res["suite"]["name"]
        name = table_of_suite(suite, suites_dir)
        if name is None:
            log.warning("%s: suite %r has no leaderboard table; skipped", path, suite)
            continue
        if name not in tables:
            pub = published_dir / f"{name}.csv"
            rows = read_published(pub) if pub.is_file() else []
            tables[name] = Table(name, rows, paper_columns(name, rows))
        tables[name].measured.append(res)
    for t in tables.values():
        t.measured.sort(key=lambda r: (r["system"]["name"], r.get("seed", 0), r["suite"].get("scale", "")))
        t.columns = [c for c in t.columns if c.paper] + extra_columns(t)
    return tables


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
    return EXIT_OK
