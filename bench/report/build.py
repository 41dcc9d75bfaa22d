"""Build the report: runs folder -> view model -> ``index.html`` (one self-contained file) and
``summary.md``, written atomically into the output folder."""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.item import Item
from bench.report import media
from bench.report.collect import Run, SuiteRuns, find_runs, group_by_suite, pick_items
from bench.results import harness_info, now_iso
from bench.tables import fmt_num, run_notes
from unison.core.files import atomic_write_text

log = logging.getLogger(__name__)

HTML_NAME, SUMMARY_NAME = "index.html", "summary.md"
AUDIO_ROLES = ("source", "reference", "target")  # test-set audio shown beside the generated clips


@dataclass
class ReportPaths:
    html: Path
    summary: Path
    n_suites: int
    n_runs: int
    n_clips: int


# ---------------------------------------------------------------- metric cells

def cell_view(cell: dict[str, Any] | None) -> dict[str, Any]:
    """One table cell: value / CI / n, or 'unavailable: <reason>', or 'not run'."""
    if cell is None:
        return {"kind": "missing", "text": "not run"}
    n, failed = cell.get("n"), cell.get("n_failed") or 0
    count = f"n={n}" + (f", {failed} failed" if failed else "")
    reason = cell.get("unavailable")
    value = cell.get("value")
    if not reason and (value is None or not math.isfinite(float(value))):
        reason = "no value"
    if reason:
        reason = str(reason)
        return {"kind": "unavailable", "reason": reason, "short": short_reason(reason),
                "text": f"unavailable: {reason}", "count": count}
    ci = cell.get("ci95")
    return {"kind": "value", "text": fmt_num(float(value)), "value": float(value), "best": False,
            "ci": f"[{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else "", "count": count}


def short_reason(reason: str, limit: int = 110) -> str:
    """The first sentence of a reason (the full text is in the suite's numbered list)."""
    head = reason.split(" Looked in:")[0]
    cut = head.find(". ", 20)
    if cut != -1:
        head = head[: cut + 1]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def number_reasons(suite: str, tables: list[list[dict[str, Any]]]) -> list[dict[str, str]]:
    """Give every distinct unavailable reason of a suite a number and an anchor (set on the cells)."""
    notes: dict[str, dict[str, str]] = {}
    for rows in tables:
        for row in rows:
            for c in row["cells"]:
                if c["kind"] != "unavailable":
                    continue
                if c["reason"] not in notes:
                    notes[c["reason"]] = {"anchor": f"why-{suite}-{len(notes) + 1}", "text": c["reason"],
                                          "number": str(len(notes) + 1)}
                c["note"], c["anchor"] = notes[c["reason"]]["number"], notes[c["reason"]]["anchor"]
    return list(notes.values())


def metric_rows(runs: list[Run], keys: list[str], subset: str | None = None) -> list[dict[str, Any]]:
    """Rows = metrics (name@variant), columns = runs; the best available value per row is marked."""
    rows = []
    for key in keys:
        cells = []
        describe: dict[str, Any] | None = None
        for r in runs:
            src = r.results["metrics"] if subset is None else (r.results.get("subsets") or {}).get(subset, {})
            c = src.get(key)
            describe = describe or c
            cells.append(cell_view(c))
        if describe is None:
            continue
        higher = bool(describe.get("higher_is_better"))
        values = [c["value"] for c in cells if c["kind"] == "value"]
        if len(values) > 1:
            best = max(values) if higher else min(values)
            for c in cells:
                c["best"] = c["kind"] == "value" and c["value"] == best
        rows.append({"key": key, "arrow": "↑" if higher else "↓", "version": describe.get("version", ""),
                     "protocol": "paper" if describe.get("paper_protocol") else "offline", "cells": cells})
    return rows


# ---------------------------------------------------------------- items with audio

def _fmt_score(v: Any) -> str:
    return "—" if v is None else fmt_num(float(v))


def item_view(suite: SuiteRuns, item: Item) -> tuple[dict[str, Any], int]:
    """Players and mel images for one item: its test-set audio, then each system's output."""
    assert suite.testset is not None
    entries: list[dict[str, Any]] = []

    def entry(**kw: Any) -> dict[str, Any]:  # every key the template reads, so StrictUndefined holds
        return {"status": None, "error": None, "scores": [], "audio": None, "mel": None, "duration": None, **kw}

    for role in AUDIO_ROLES:
        rel = getattr(item, role)
        if rel is not None:
            entries.append(entry(role=role, label=role, path=suite.testset.path(rel)))
    for r in suite.runs:
        row = r.samples.get(item.id)
        if row is None:
            continue
        e = entry(role="generated", label=r.label, status=row.get("status"), error=row.get("error"),
                  scores=[{"key": k, "text": _fmt_score(v)} for k, v in sorted((row.get("scores") or {}).items())
                          if v is not None])  # None: not applicable to this item, or failed (error shown)
        wav = r.audio(item.id)
        if wav.is_file():
            e["path"] = wav
        elif not e["error"]:
            e["error"] = "no generated file"
        entries.append(e)

    clips: list[media.Clip | None] = []
    for e in entries:
        clip = None
        if "path" in e:
            try:
                clip = media.load_clip(e["path"])
            except Exception as ex:  # noqa: BLE001 - an unreadable output is shown, not fatal
                e["error"] = (e.get("error") or "") + f" (cannot read audio: {type(ex).__name__}: {ex})"
        clips.append(clip)
    # one colour scale per item so that levels compare across its clips
    peaks = [float(np.max(media.log_mel(c.wave))) for c in clips if c is not None]
    vmax = max(peaks) if peaks else 0.0
    n = 0
    for e, clip in zip(entries, clips):
        e.pop("path", None)
        if clip is None:
            continue
        e["audio"] = media.audio_data_uri(clip)
        e["mel"] = media.png_data_uri(media.mel_png(clip.wave, vmax=vmax, segments=item.segments,
                                                    seconds=item.seconds))
        e["duration"] = f"{clip.original_seconds:.2f} s @ {clip.original_sr} Hz"
        n += 1
    view = {"id": item.id, "task": item.task, "subset": item.subset, "instruction": item.instruction,
            "text": item.text, "caption": item.caption, "lang": item.lang, "gender": item.gender,
            "segments": [{"start": s["start"], "end": s["end"], "caption": s.get("caption", ""),
                          "colour": media.SEGMENT_COLOURS[k % len(media.SEGMENT_COLOURS)]}
                         for k, s in enumerate(item.segments)],
            "clips": entries}
    return view, n


# ---------------------------------------------------------------- suites

def _suite_description(name: str) -> str:
    try:
        from bench.registry import load_suite

        return load_suite(name).description
    except Exception:  # noqa: BLE001 - a suite file renamed since the run: just no description
        return ""


def suite_view(suite: SuiteRuns, items_per_suite: int) -> tuple[dict[str, Any], int]:
    keys = suite.metric_keys
    n_items = max((int(r.results["suite"].get("n_items", 0)) for r in suite.runs), default=0)
    items, n_clips = [], 0
    if suite.testset is not None:
        for it in pick_items(suite, items_per_suite):
            v, n = item_view(suite, it)
            items.append(v)
            n_clips += n
    rows = metric_rows(suite.runs, keys)
    subsets = [{"name": s, "rows": metric_rows(suite.runs, keys, s)} for s in suite.subsets]
    reasons = number_reasons(suite.name, [rows] + [sub["rows"] for sub in subsets])
    view = {
        "name": suite.name, "version": suite.version, "scale": suite.scale, "hash": suite.testset_hash[:16],
        "n_items": n_items, "description": _suite_description(suite.name),
        "systems": [r.label for r in suite.runs],
        "system_info": [{"label": r.label, "git": (r.results.get("harness") or {}).get("git"),
                         "created": r.results.get("created"), "limit": r.results["suite"].get("limit")}
                        for r in suite.runs],
        "rows": rows, "subsets": subsets, "reasons": reasons,
        "examples": items,
        "notes": ([suite.testset_missing] if suite.testset_missing else [])
        + run_notes([r.results for r in suite.runs]),  # e.g. files:DIR: files missing / unmatched / resampled
    }
    return view, n_clips


def _split_md_row(line: str) -> list[str]:
    """Cells of one Markdown table row ('\\|' is a literal bar inside a cell)."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [c.strip().replace("\\|", "|") for c in cells]


def leaderboard_views(results: list[Path]) -> tuple[list[dict[str, Any]], str | None]:
    """The paper tables with measured rows (bench.leaderboard) as {"name", "header", "rows", "note"}.
    Returns ([], reason) when they cannot be built."""
    try:
        from bench.leaderboard import build_tables, to_markdown

        tables = build_tables(results)
    except Exception as e:  # noqa: BLE001 - the report still has its own tables
        return [], f"{type(e).__name__}: {e}"
    views = []
    for name, table in sorted(tables.items()):
        lines = [ln for ln in to_markdown(table).splitlines() if ln.startswith("|")]
        if len(lines) < 2:
            continue
        header = _split_md_row(lines[0])
        rows = [[{"full": c, "text": "unavailable: " + short_reason(c[len("unavailable: "):])
                  if c.startswith("unavailable: ") else c} for c in _split_md_row(ln)] for ln in lines[2:]]
        note = " ".join(ln for ln in to_markdown(table).splitlines()[1:] if ln and not ln.startswith(("|", "#")))
        views.append({"name": name, "header": header, "rows": rows, "note": note})
    return views, None


def build_view(runs_dir: Path, testsets_dir: Path | None, items_per_suite: int | dict[str, int], title: str,
               leaderboards: list[dict[str, Any]] | None = None, notes: list[str] | None = None,
               run_log: list[dict[str, Any]] | None = None, only: list[Path] | None = None
               ) -> tuple[dict[str, Any], int, int]:
    runs = find_runs(runs_dir, only)
    if not runs:
        raise FileNotFoundError(f"no results.json under {runs_dir}; run `unison-bench run ... --out {runs_dir}` first")
    if leaderboards is None:
        leaderboards, why = leaderboard_views([r.dir / "results.json" for r in runs])
        if why:
            log.warning("leaderboards left out of the report: %s", why)
    suites, n_clips = [], 0
    for g in group_by_suite(runs, testsets_dir):
        per = items_per_suite.get(g.name, items_per_suite.get("*", 2)) if isinstance(items_per_suite, dict) \
            else items_per_suite
        v, n = suite_view(g, per)
        suites.append(v)
        n_clips += n
    view = {"title": title, "created": now_iso(), "harness": harness_info(), "runs_dir": str(runs_dir),
            "n_runs": len(runs), "suites": suites, "leaderboards": leaderboards, "notes": list(notes or []),
            "run_log": list(run_log or []),
            "audio_format": media.AUDIO_FORMAT, "mel_format": media.MEL_FORMAT}
    return view, len(runs), n_clips


def build_report(runs_dir: str | Path, out_dir: str | Path, *, testsets_dir: str | Path | None = None,
                 items_per_suite: int | dict[str, int] = 2, title: str = "unison-bench report",
                 leaderboards: list[dict[str, Any]] | None = None, notes: list[str] | None = None,
                 run_log: list[dict[str, Any]] | None = None, only: list[str | Path] | None = None) -> ReportPaths:
    """Write ``<out_dir>/index.html`` and ``<out_dir>/summary.md`` from every run under ``runs_dir``.

    ``items_per_suite``: items shown with audio per suite, or {suite: n, "*": n for the others}.

    ``leaderboards``: tables shown after the suites, each {"name", "header": [str], "rows": [[str]],
    "note": str}; None (default) = the paper tables with measured rows from bench.leaderboard,
    [] = none. ``notes``: lines shown at the top (e.g. systems that could not run and why).
    ``run_log``: rows {"suite", "system", "status", "wall", "cpu", "generated"} of the runs made.
    ``only``: report just these results.json files (default: every one under ``runs_dir``)."""
    from bench.report.render import render_html, render_summary

    runs_dir, out_dir = Path(runs_dir), Path(out_dir)
    view, n_runs, n_clips = build_view(runs_dir, Path(testsets_dir) if testsets_dir else None,
                                       items_per_suite, title, leaderboards, notes, run_log,
                                       [Path(p) for p in only] if only is not None else None)
    html_path, md_path = out_dir / HTML_NAME, out_dir / SUMMARY_NAME
    atomic_write_text(html_path, render_html(view))
    atomic_write_text(md_path, render_summary(view))
    log.info("wrote %s (%d suites, %d runs, %d clips)", html_path, len(view["suites"]), n_runs, n_clips)
    return ReportPaths(html=html_path, summary=md_path, n_suites=len(view["suites"]), n_runs=n_runs, n_clips=n_clips)
