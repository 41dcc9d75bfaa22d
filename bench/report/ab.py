"""The A/B page of ``unison-bench compare A B --html ab.html``: two systems or checkpoints on one
suite, as one self-contained page.

At the top, per metric variant: both values with their CIs, the paired-bootstrap delta (B - A) with
its CI and p-value, exactly as compare's text output prints it (the same Delta objects), and the
verdict read from it with the metric's direction. Then per item: the test set's own audio, both
outputs side by side (players, mel spectrograms on one colour scale) and the per-item delta of
every metric both scored.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.report.build import item_view
from bench.report.collect import Run, SuiteRuns, find_testset
from bench.resultset import BadInput, LoadedResults
from bench.results import harness_info, load_samples
from bench.tables import fmt_num
from bench.testset import default_testsets_dir

AB_ITEMS = 24  # items shown with audio by default (0 = every item both scored)


def _run(r: LoadedResults) -> Run:
    return Run(dir=r.path.parent, results=r.data, samples=load_samples(r.path.parent / "samples.jsonl") or {})


def verdict(delta: Any, higher: bool, names: tuple[str, str]) -> tuple[str, str]:
    """(text, css class) of a Delta: which side is better, if the paired CI excludes 0."""
    if delta is None or delta.value is None:
        return (delta.note if delta is not None else "not in both"), "na"
    if delta.paired is None:
        return f"no paired test ({delta.note or 'set-level'})", "neutral"
    if not delta.paired.significant:
        return "no significant difference", "neutral"
    b_better = (delta.paired.delta > 0) == higher
    return f"{names[1] if b_better else names[0]} better", "b" if b_better else "a"


def _value(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "—"
    if cell.get("value") is None:
        return "n/a"
    ci = cell.get("ci95")
    return fmt_num(cell["value"]) + (f" [{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else "")


def ab_view(a: LoadedResults, b: LoadedResults, deltas: dict, delta_text, *, testsets_dir: Path | None = None,
            items: int = AB_ITEMS, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[dict[str, Any], int]:
    """The page's view model and its number of clips. ``deltas``/``delta_text``: compare's Delta per
    (id(result), key) and its formatter, so the page shows the text output's own numbers."""
    if a.data["suite"]["name"] != b.data["suite"]["name"]:
        raise BadInput(f"--html compares two results of one suite: {a.path} is {a.data['suite']['name']}, "
                       f"{b.path} is {b.data['suite']['name']}")
    ra, rb = _run(a), _run(b)
    names = (f"A: {ra.label}", f"B: {rb.label}")
    keys = list(dict.fromkeys([*a.metrics, *b.metrics]))
    metrics = []
    for key in keys:
        ca, cb = a.metrics.get(key), b.metrics.get(key)
        higher = bool((ca or cb).get("higher_is_better"))
        d = deltas.get((id(b), key))
        text, cls = verdict(d, higher, ("A", "B"))
        metrics.append({"key": key, "arrow": "↑" if higher else "↓", "higher": higher, "a": _value(ca),
                        "b": _value(cb), "delta": delta_text(d), "verdict": text, "cls": cls})
    suite = SuiteRuns(name=a.data["suite"]["name"], version=str(a.data["suite"].get("version", "")),
                      scale=str(a.data["suite"].get("scale", "")), testset_hash=str(a.data["suite"]["testset_hash"]),
                      runs=[ra, rb])
    base = Path(testsets_dir) if testsets_dir is not None else default_testsets_dir()
    suite.testset = find_testset(suite.name, suite.testset_hash, base)
    notes, cards, n_clips = [], [], 0
    if suite.testset is None:
        notes.append(f"test set {suite.name} (hash {suite.testset_hash[:16]}) not found under {base}: no audio "
                     "shown; pass --testsets")
    else:
        higher = {m["key"]: m["higher"] for m in metrics}
        shown = suite.items(common=True)
        if items > 0 and len(shown) > items:
            notes.append(f"showing the first {items} of {len(shown)} items both scored (--html-items)")
            shown = shown[:items]
        for it in shown:
            card, n = item_view(suite, it, [ra, rb])
            n_clips += n
            card["refs"] = [c for c in card["clips"] if c["role"] != "generated"]
            gen = {c["label"]: c for c in card["clips"] if c["role"] == "generated"}
            card["a"], card["b"] = gen.get(ra.label), gen.get(rb.label)
            if ra.label == rb.label:  # same system name and seed from two run folders: keep them apart
                both = [c for c in card["clips"] if c["role"] == "generated"]
                card["a"], card["b"] = (both + [None, None])[:2]
            card["deltas"] = item_deltas(ra.samples.get(it.id), rb.samples.get(it.id), higher)
            cards.append(card)
    h = harness_info()
    view = {"title": f"A/B: {ra.label} vs {rb.label} on {suite.name}", "suite": suite.name,
            "version": suite.version, "scale": suite.scale, "hash": suite.testset_hash[:16],
            "a": {"name": names[0], "path": str(a.path), "created": a.data.get("created", "")},
            "b": {"name": names[1], "path": str(b.path), "created": b.data.get("created", "")},
            "metrics": metrics, "items": cards, "notes": notes, "harness": h,
            "stats": f"paired bootstrap, {n_boot} resamples of the items both scored, seed {seed}, "
                     f"{int(round(level * 100))} % CI of the difference B - A"}
    return view, n_clips


def item_deltas(row_a: dict[str, Any] | None, row_b: dict[str, Any] | None, higher: dict[str, bool]
                ) -> list[dict[str, Any]]:
    """Per metric both scored on this item: A, B, B - A and whether B is better, worse or equal."""
    sa, sb = (row_a or {}).get("scores") or {}, (row_b or {}).get("scores") or {}
    out = []
    for key in dict.fromkeys([*sa, *sb]):
        va, vb = sa.get(key), sb.get(key)
        if va is None and vb is None:  # not applicable to this item (or failed on both sides)
            continue
        if va is None or vb is None:
            out.append({"key": key, "a": fmt_num(va) if va is not None else "—",
                        "b": fmt_num(vb) if vb is not None else "—", "delta": "", "cls": "na"})
            continue
        d = float(vb) - float(va)
        better = 0 if d == 0 or not math.isfinite(d) else (1 if (d > 0) == higher.get(key, False) else -1)
        out.append({"key": key, "a": fmt_num(va), "b": fmt_num(vb), "delta": f"{d:+.4g}",
                    "cls": {1: "b", -1: "a", 0: "neutral"}[better]})
    return out


def render_ab(view: dict[str, Any]) -> str:
    import jinja2

    from bench.report.template import AB_HTML

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    from bench.report.render import dedupe_media

    return dedupe_media(env.from_string(AB_HTML).render(**view))
