"""Metric tables (Markdown, CSV, LaTeX) from one or more results.json files.

One row per (suite, system, seed, subset, metric), so every row names the metric variant
(``name@variant``), its version, n and n_failed, and the 95% CI in its own columns. A cell that
could not be computed reads ``unavailable: <reason>``, never a number. Files are read through
bench.results.load_results, so a NaN or mistyped value is refused (ResultsError), never tabulated.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

from bench.results import load_results, provenance_notes

COLUMNS = ("suite", "system", "seed", "subset", "metric", "version", "dir", "value", "ci95_lo", "ci95_hi",
           "n", "n_failed", "protocol")
OVERALL = "all"


def fmt_num(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.4g}"  # four significant digits, e-notation only for very small/large values


def rows_from_results(results: dict[str, Any], subsets: bool = True) -> list[dict[str, Any]]:
    suite = results["suite"]["name"]
    system = results["system"]["name"]
    groups: list[tuple[str, dict[str, Any]]] = [(OVERALL, results["metrics"])]
    if subsets:
        groups += sorted((results.get("subsets") or {}).items())
    rows = []
    for subset, cells in groups:
        for key, c in cells.items():
            ci = c.get("ci95")
            rows.append({
                "suite": suite, "system": system, "seed": results["seed"], "subset": subset,
                "metric": key, "version": c.get("version", ""),
                "dir": "higher" if c.get("higher_is_better") else "lower",
                "value": None if c.get("unavailable") else c.get("value"),
                "ci95_lo": ci[0] if ci else None, "ci95_hi": ci[1] if ci else None,
                "n": c.get("n"), "n_failed": c.get("n_failed"),
                "protocol": "paper" if c.get("paper_protocol") else "offline",
                "unavailable": c.get("unavailable"),
            })
    return rows


def collect_rows(paths: Iterable[str | Path], subsets: bool = True) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in paths:
        rows += rows_from_results(load_results(p), subsets=subsets)
    return rows


def _cell_text(row: dict[str, Any], col: str) -> str:
    if col == "value" and row.get("unavailable"):
        return f"unavailable: {row['unavailable']}"
    v = row.get(col)
    if isinstance(v, float):
        return fmt_num(v)
    return "" if v is None else str(v)


def to_markdown(rows: list[dict[str, Any]]) -> str:
    head = ["suite", "system", "seed", "subset", "metric (name@variant)", "v", "", "value", "95% CI", "n",
            "failed", "protocol"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for r in rows:
        ci = f"[{fmt_num(r['ci95_lo'])}, {fmt_num(r['ci95_hi'])}]" if r["ci95_lo"] is not None else ""
        cells = [_cell_text(r, "suite"), _cell_text(r, "system"), _cell_text(r, "seed"), _cell_text(r, "subset"),
                 f"`{r['metric']}`", _cell_text(r, "version"), "↑" if r["dir"] == "higher" else "↓",
                 _cell_text(r, "value"), ci, _cell_text(r, "n"), _cell_text(r, "n_failed"), r["protocol"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([_cell_text(r, c) if c != "value" or r.get("unavailable") else
                    ("" if r["value"] is None else repr(float(r["value"]))) for c in COLUMNS])
    return buf.getvalue()


_LATEX_ESC = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
              "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(s: str) -> str:
    return "".join(_LATEX_ESC.get(ch, ch) for ch in s)


def to_latex(rows: list[dict[str, Any]]) -> str:
    """A booktabs tabular (needs \\usepackage{booktabs})."""
    head = ["Suite", "System", "Seed", "Subset", "Metric (name@variant)", "Value", "95\\% CI", "$n$", "Failed"]
    out = [r"\begin{tabular}{lllllrcrr}", r"\toprule", " & ".join(head) + r" \\", r"\midrule"]
    for r in rows:
        arrow = r"$\uparrow$" if r["dir"] == "higher" else r"$\downarrow$"
        if r.get("unavailable"):
            value = r"\textit{" + latex_escape(f"unavailable: {r['unavailable']}") + "}"
        else:
            value = latex_escape(fmt_num(r["value"]))
        ci = f"[{fmt_num(r['ci95_lo'])}, {fmt_num(r['ci95_hi'])}]" if r["ci95_lo"] is not None else "--"
        cells = [latex_escape(str(r["suite"])), latex_escape(str(r["system"])), str(r["seed"]),
                 latex_escape(str(r["subset"])), r"\texttt{" + latex_escape(r["metric"]) + "} " + arrow,
                 value, latex_escape(ci), str(r["n"]), str(r["n_failed"])]
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


FORMATS = {"md": to_markdown, "csv": to_csv, "latex": to_latex}


def run_notes(results: list[dict[str, Any]]) -> list[str]:
    """"<system> (<suite>, seed <s>): <note>" for every provenance note of the given results (files
    missing, unmatched or resampled when a system read a folder)."""
    return [f"{r['system']['name']} ({r['suite']['name']}, seed {r['seed']}): {note}"
            for r in results for note in provenance_notes(r)]


def notes_markdown(results: list[dict[str, Any]]) -> str:
    notes = run_notes(results)
    return "\nNotes:\n" + "".join(f"- {n}\n" for n in notes) if notes else ""


def render(paths: Iterable[str | Path], fmt: str = "md", subsets: bool = True) -> str:
    """The table of ``paths``; Markdown ends with the runs' provenance notes and LaTeX carries them as
    comments (CSV stays one table)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; use one of {sorted(FORMATS)}")
    results = [load_results(p) for p in paths]
    rows = [row for r in results for row in rows_from_results(r, subsets=subsets)]
    text = FORMATS[fmt](rows)
    if fmt == "md":
        text += notes_markdown(results)
    elif fmt == "latex":
        text += "".join(f"% {n}\n" for n in run_notes(results))
    return text
