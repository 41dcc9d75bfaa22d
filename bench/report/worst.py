"""The worst items of each system on each per-item metric: where to listen first.

Direction-aware (the lowest score is worst when higher is better, the highest when lower is
better); items at the run's best score are not "worst" (a run scoring WER 0 everywhere has none);
failed items (no score) are counted, not ranked; ties break by item id so the view is stable.
"""
from __future__ import annotations

from typing import Any

from bench.report.collect import Run, SuiteRuns


def per_item_keys(suite: SuiteRuns) -> list[str]:
    """Metric keys (suite order) that some run scored per item in samples.jsonl."""
    scored = {k for r in suite.runs for row in r.samples.values()
              for k, v in (row.get("scores") or {}).items() if v is not None}
    return [k for k in suite.metric_keys if k in scored]


def item_scores(run: Run, key: str) -> dict[str, float]:
    return {i: float(v) for i, row in run.samples.items()
            if (v := (row.get("scores") or {}).get(key)) is not None}


def worst(run: Run, key: str, higher: bool, n: int) -> tuple[list[tuple[str, float]], int, int]:
    """([(item id, score)] worst first, at most ``n``, none at the run's best score), how many items
    have no score, and how many are at the best score."""
    scores = item_scores(run, key)
    best = (max if higher else min)(scores.values()) if scores else None
    ranked = sorted(((i, v) for i, v in scores.items() if v != best),
                    key=lambda kv: (kv[1] if higher else -kv[1], kv[0]))
    return ranked[:n], len(run.samples) - len(scores), sum(v == best for v in scores.values())


def describe(suite: SuiteRuns, key: str) -> dict[str, Any] | None:
    """The metric's description fields from the first run that has the key."""
    return next((r.results["metrics"][key] for r in suite.runs if key in r.results["metrics"]), None)


def worst_lists(suite: SuiteRuns, n: int) -> list[dict[str, Any]]:
    """Per run: [{"run": Run, "metrics": [{"key", "higher", "items": [(id, score)], "n_unscored",
    "n_best", "best"}]}], runs without any per-item score left out."""
    if n <= 0:
        return []
    keys = per_item_keys(suite)
    out = []
    for r in suite.runs:
        metrics = []
        for key in keys:
            d = describe(suite, key)
            higher = bool(d and d.get("higher_is_better"))
            items, unscored, n_best = worst(r, key, higher, n)
            scores = item_scores(r, key)
            if scores:
                metrics.append({"key": key, "higher": higher, "items": items, "n_unscored": unscored,
                                "n_best": n_best, "best": (max if higher else min)(scores.values())})
        if metrics:
            out.append({"run": r, "metrics": metrics})
    return out
