"""Build the report: runs folder -> view model -> ``index.html`` (one self-contained file) and
``summary.md``, written atomically into the output folder.

Per suite the page shows the measured metric variants (table and chart with 95 % CIs), per-item
score distributions, the spread across seeds where ``--seeds`` runs left a seeds.json, the worst
items of every system with their audio, and example items. Variants that could not run anywhere
are listed once for the whole report (bench.report.unavailable), not cell by cell."""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.item import Item
from bench.report import charts, media, worst
from bench.report.collect import Run, SuiteRuns, find_runs, group_by_suite, pick_items
from bench.report.unavailable import Collector
from bench.results import harness_info
from bench.tables import fmt_num, run_notes
from unison.core.files import atomic_write_text

log = logging.getLogger(__name__)

HTML_NAME, SUMMARY_NAME = "index.html", "summary.md"
AUDIO_ROLES = ("source", "reference", "target")  # test-set audio shown beside the generated clips
WORST_ITEMS = 2  # worst items shown per system and per-item metric (audio makes each one costly)


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
            "ci": f"[{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else "", "count": count,
            "lo": float(ci[0]) if ci else None, "hi": float(ci[1]) if ci else None}


def short_reason(reason: str, limit: int = 110) -> str:
    """The first sentence of a reason (the full text is in the suite's numbered list)."""
    head = reason.split(" Looked in:")[0]
    cut = head.find(". ", 20)
    if cut != -1:
        head = head[: cut + 1]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def mark_unavailable(rows: list[dict[str, Any]], collector: Collector, suite: str, systems: list[str]) -> None:
    """Point every unavailable cell at its report-wide entry (one per metric variant and reason)."""
    for row in rows:
        for system, c in zip(systems, row["cells"]):
            if c["kind"] == "unavailable":
                entry = collector.add(row["key"], c["reason"], suite, system)
                c["note"], c["anchor"] = str(entry.number), entry.anchor


def split_measured(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows with at least one number, rows with none): the tables lead with what was measured."""
    measured = [r for r in rows if any(c["kind"] == "value" for c in r["cells"])]
    return measured, [r for r in rows if r not in measured]


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
        rows.append({"key": key, "arrow": "↑" if higher else "↓", "higher": higher, "version": describe.get("version", ""),
                     "protocol": "paper" if describe.get("paper_protocol") else "offline", "cells": cells})
    return rows


# ---------------------------------------------------------------- items with audio

def _peak(path: Path) -> float:
    try:
        return media.clip_peak(path)
    except Exception:  # noqa: BLE001 - an unreadable file is reported where it is shown
        return float("-inf")


def _fmt_score(v: Any) -> str:
    return "—" if v is None else fmt_num(float(v))


def item_view(suite: SuiteRuns, item: Item, runs: list[Run] | None = None) -> tuple[dict[str, Any], int]:
    """Players and mel images for one item: its test-set audio, then each system's output (of
    ``runs``, default all of the suite's)."""
    assert suite.testset is not None
    entries: list[dict[str, Any]] = []

    def entry(**kw: Any) -> dict[str, Any]:  # every key the template reads, so StrictUndefined holds
        return {"status": None, "error": None, "scores": [], "audio": None, "mel": None, "duration": None, **kw}

    for role in AUDIO_ROLES:
        rel = getattr(item, role)
        if rel is not None:
            entries.append(entry(role=role, label=role, path=suite.testset.path(rel)))
    for r in suite.runs if runs is None else runs:
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
                clip = media.cached_clip(e["path"])
            except Exception as ex:  # noqa: BLE001 - an unreadable output is shown, not fatal
                e["error"] = (e.get("error") or "") + f" (cannot read audio: {type(ex).__name__}: {ex})"
        clips.append(clip)
    # one colour scale per item, over its test-set clips and every system's output (not only those
    # shown), so that levels compare across clips and a clip looks the same in every view of the item
    vmax = max([_peak(e["path"]) for e, c in zip(entries, clips) if c is not None and e["role"] != "generated"]
               + [_peak(r.audio(item.id)) for r in suite.runs if r.audio(item.id).is_file()]
               + [float("-inf")])
    vmax = vmax if math.isfinite(vmax) else 0.0
    n = 0
    for e, clip in zip(entries, clips):
        path = e.pop("path", None)
        if clip is None:
            continue
        e["audio"] = media.cached_audio_uri(path)
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


def chart_views(suite: SuiteRuns, rows: list[dict[str, Any]], systems: list[str]) -> list[dict[str, Any]]:
    """The suite's charts as {"kind", "title", "caption", "uri"}: values with CIs, per-item
    distributions, seeds. Only measured rows are drawn."""
    out = []
    if rows:
        panels = [{"key": r["key"], "higher": r["higher"],
                   "values": [{"value": c["value"], "lo": c["lo"], "hi": c["hi"]} if c["kind"] == "value" else None
                              for c in r["cells"]]} for r in rows]
        out.append({"kind": "values", "title": "Metrics with 95 % bootstrap CIs",
                    "caption": "Each system's value with its 95 % bootstrap CI over the items; the best of each "
                               "metric is a green star. Set-level metrics (Fréchet distances, IS, KAD) have no CI.",
                    "uri": charts.svg_data_uri(charts.values_chart(panels, systems))})
    keys = [k for k in worst.per_item_keys(suite) if any(r["key"] == k for r in rows)]
    if keys:
        higher = {r["key"]: r["higher"] for r in rows}
        panels = [{"key": k, "higher": higher[k],
                   "scores": [sorted(worst.item_scores(r, k).values()) for r in suite.runs]} for k in keys]
        out.append({"kind": "distributions", "title": "Per-item scores",
                    "caption": "Every scored item (dots) over the quartiles of each system's scores (box; the "
                               "line is the median, whiskers 1.5 IQR). Failed items have no score and are not drawn.",
                    "uri": charts.svg_data_uri(charts.distribution_chart(panels, systems))})
    seeds = suite.seed_summaries
    if seeds:
        keys = [r["key"] for r in rows if any(r["key"] in (sd.get("metrics") or {}) for sd in seeds.values())]
        names = list(seeds)
        panels = [{"key": k, "higher": next(r["higher"] for r in rows if r["key"] == k),
                   "seeds": [(seeds[n].get("metrics") or {}).get(k) for n in names]} for k in keys]
        if panels:
            out.append({"kind": "seeds", "title": "Spread across seeds",
                        "caption": "Each seed's value (dots) and mean ± sample std across seeds (bar), from the "
                                   "seeds.json that `unison-bench run --seeds` writes.",
                        "uri": charts.svg_data_uri(charts.seeds_chart(panels, names))})
    return out


def worst_view(suite: SuiteRuns, n: int) -> tuple[list[dict[str, Any]], int]:
    """Per system: its worst ``n`` items on each per-item metric (worst first), and one card with the
    players and spectrograms of every item listed (an item that is worst on several metrics is
    shown once)."""
    views, n_clips = [], 0
    by_id = {it.id: it for it in suite.testset.items} if suite.testset is not None else {}
    for block in worst.worst_lists(suite, n):
        r: Run = block["run"]
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", r.label).strip("-")
        metrics, cards, card_ids = [], [], []
        for m in block["metrics"]:
            items = []
            for item_id, score in m["items"]:
                anchor = f"worst-{suite.name}-{slug}-{item_id}"
                items.append({"id": item_id, "score": fmt_num(score), "anchor": anchor if item_id in by_id else None})
                if item_id in by_id and item_id not in card_ids:
                    card_ids.append(item_id)
            metrics.append({"key": m["key"], "arrow": "↑" if m["higher"] else "↓",
                            "direction": charts.direction(m["higher"]), "ranked": items, "n_unscored": m["n_unscored"],
                            "n_best": m["n_best"], "best": fmt_num(m["best"])})
        for item_id in card_ids:
            card, k = item_view(suite, by_id[item_id], [r])
            card["anchor"] = f"worst-{suite.name}-{slug}-{item_id}"
            card["worst_on"] = [{"key": m["key"], "score": it["score"]} for m in metrics for it in m["ranked"]
                                if it["id"] == item_id]
            cards.append(card)
            n_clips += k
        views.append({"system": r.label, "oracle": r.system == "oracle", "metrics": metrics, "cards": cards})
    # open the first real system with something to hear (the oracle is the ceiling)
    first = next((k for k, v in enumerate(views) if not v["oracle"] and v["cards"]), 0)
    for k, v in enumerate(views):
        v["open"] = k == first
    return views, n_clips


def suite_view(suite: SuiteRuns, items_per_suite: int, collector: Collector,
               worst_per_metric: int = WORST_ITEMS) -> tuple[dict[str, Any], int]:
    keys = suite.metric_keys
    n_items = max((int(r.results["suite"].get("n_items", 0)) for r in suite.runs), default=0)
    systems = [r.label for r in suite.runs]
    items, n_clips = [], 0
    if suite.testset is not None:
        for it in pick_items(suite, items_per_suite):
            v, n = item_view(suite, it)
            items.append(v)
            n_clips += n
    rows = metric_rows(suite.runs, keys)
    mark_unavailable(rows, collector, suite.name, systems)
    subsets = []
    for name in suite.subsets:
        sub_rows = metric_rows(suite.runs, keys, name)
        mark_unavailable(sub_rows, collector, suite.name, systems)
        measured, rest = split_measured(sub_rows)
        subsets.append({"name": name, "rows": measured, "hidden": rest})
    measured, hidden = split_measured(rows)
    worst_systems, n_worst = worst_view(suite, worst_per_metric)
    view = {
        "name": suite.name, "version": suite.version, "scale": suite.scale, "hash": suite.testset_hash[:16],
        "n_items": n_items, "description": _suite_description(suite.name),
        "systems": systems,
        "system_info": [{"label": r.label, "git": (r.results.get("harness") or {}).get("git"),
                         "created": r.results.get("created"), "limit": r.results["suite"].get("limit")}
                        for r in suite.runs],
        "rows": measured, "hidden": hidden, "subsets": subsets,
        "charts": chart_views(suite, measured, systems),
        "worst": worst_systems, "worst_n": worst_per_metric,
        "examples": items,
        "notes": ([suite.testset_missing] if suite.testset_missing else [])
        + run_notes([r.results for r in suite.runs]),  # e.g. files:DIR: files missing / unmatched / resampled
    }
    return view, n_clips + n_worst


def leaderboard_views(results: list[Path]) -> tuple[list[dict[str, Any]], str | None]:
    """The paper tables with measured rows (bench.leaderboard) as {"name", "header", "rows",
    "footnotes", "note"}: cells say ``n/a¹``, each reason once below its table.
    Returns ([], reason) when they cannot be built."""
    try:
        from bench.leaderboard import build_tables, markdown_rows

        tables = build_tables(results)
    except Exception as e:  # noqa: BLE001 - the report still has its own tables
        return [], f"{type(e).__name__}: {e}"
    views = []
    for name, table in sorted(tables.items()):
        header, rows, notes = markdown_rows(table)
        views.append({"name": name, "header": header, "rows": rows,
                      "footnotes": [{"marker": line.split(" ", 1)[0], "text": reason}
                                    for line, reason in zip(notes.lines(), notes.reasons)],
                      "note": "Paper columns hold only paper-protocol numbers; measured offline variants have "
                              "their own columns named [name@variant]. Measured cells: value [95 % CI] n=items."})
    return views, None


def _latest_created(runs: list[Run]) -> str:
    """When the newest run was made: the page's date comes from its inputs, so the same runs give
    the same file."""
    return max((str(r.results.get("created") or "") for r in runs), default="")


def build_view(runs_dir: Path, testsets_dir: Path | None, items_per_suite: int | dict[str, int], title: str,
               leaderboards: list[dict[str, Any]] | None = None, notes: list[str] | None = None,
               run_log: list[dict[str, Any]] | None = None, only: list[Path] | None = None,
               worst_per_metric: int = WORST_ITEMS) -> tuple[dict[str, Any], int, int]:
    runs = find_runs(runs_dir, only)
    if not runs:
        raise FileNotFoundError(f"no results.json under {runs_dir}; run `unison-bench run ... --out {runs_dir}` first")
    if leaderboards is None:
        leaderboards, why = leaderboard_views([r.dir / "results.json" for r in runs])
        if why:
            log.warning("leaderboards left out of the report: %s", why)
    collector = Collector(short_reason)
    suites, n_clips = [], 0
    for g in group_by_suite(runs, testsets_dir):
        per = items_per_suite.get(g.name, items_per_suite.get("*", 2)) if isinstance(items_per_suite, dict) \
            else items_per_suite
        v, n = suite_view(g, per, collector, worst_per_metric)
        suites.append(v)
        n_clips += n
    view = {"title": title, "created": _latest_created(runs), "harness": harness_info(), "runs_dir": str(runs_dir),
            "n_runs": len(runs), "suites": suites, "leaderboards": leaderboards, "notes": list(notes or []),
            "run_log": list(run_log or []), "unavailable": collector.views(),
            "fetch": list(dict.fromkeys(c for e in collector.views() for c in e["commands"])),
            "audio_format": media.AUDIO_FORMAT, "mel_format": media.MEL_FORMAT}
    return view, len(runs), n_clips


def draw_suite_media(runs_dir: str | Path, results: list[str | Path], testsets_dir: str | Path | None,
                     items_per_suite: int, worst_per_metric: int = WORST_ITEMS) -> int:
    """Draw one suite's report media (clips, mel images, charts) into the report-media cache and
    return how many clips, without writing a report: ``unison-bench default --jobs`` does this in a
    suite's worker as soon as its runs end, so the report built at the end reads them back. The
    media depend only on that suite's runs, so they are the ones the report would draw itself."""
    n = 0
    for g in group_by_suite(find_runs(Path(runs_dir), [Path(p) for p in results]),
                            Path(testsets_dir) if testsets_dir else None):
        n += suite_view(g, items_per_suite, Collector(short_reason), worst_per_metric)[1]
    return n


def build_report(runs_dir: str | Path, out_dir: str | Path, *, testsets_dir: str | Path | None = None,
                 items_per_suite: int | dict[str, int] = 2, title: str = "unison-bench report",
                 leaderboards: list[dict[str, Any]] | None = None, notes: list[str] | None = None,
                 run_log: list[dict[str, Any]] | None = None, only: list[str | Path] | None = None,
                 worst_per_metric: int = WORST_ITEMS) -> ReportPaths:
    """Write ``<out_dir>/index.html`` and ``<out_dir>/summary.md`` from every run under ``runs_dir``.

    ``items_per_suite``: items shown with audio per suite, or {suite: n, "*": n for the others}.
    ``worst_per_metric``: worst items listed per system and per-item metric, with their audio (0 = none).

    ``leaderboards``: tables shown after the suites, each {"name", "header": [str], "rows": [[str]],
    "footnotes": [{"marker", "text"}], "note": str}; None (default) = the paper tables with measured
    rows from bench.leaderboard, [] = none. ``notes``: lines shown at the top (e.g. systems that could
    not run and why). ``run_log``: rows {"suite", "system", "status", "wall", "cpu", "generated"} of
    the runs made. ``only``: report just these results.json files (default: every one under ``runs_dir``)."""
    from bench.report.render import render_html, render_summary

    runs_dir, out_dir = Path(runs_dir), Path(out_dir)
    view, n_runs, n_clips = build_view(runs_dir, Path(testsets_dir) if testsets_dir else None,
                                       items_per_suite, title, leaderboards, notes, run_log,
                                       [Path(p) for p in only] if only is not None else None, worst_per_metric)
    html_path, md_path = out_dir / HTML_NAME, out_dir / SUMMARY_NAME
    atomic_write_text(html_path, render_html(view))
    atomic_write_text(md_path, render_summary(view))
    log.info("wrote %s (%d suites, %d runs, %d clips)", html_path, len(view["suites"]), n_runs, n_clips)
    return ReportPaths(html=html_path, summary=md_path, n_suites=len(view["suites"]), n_runs=n_runs, n_clips=n_clips)
