"""Scoring: every metric over all items and over each subset, from the features of the extract stage.

A metric never sinks the others: one that cannot be built, lacks an extractor or raises becomes a
cell marked unavailable with its reason; a non-finite per-item score fails that item, a non-finite
value fails the cell.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bench import registry
from bench.item import Item
from bench.metrics.base import Metric
from bench.progress import Progress
from bench.results import clean_scores, describe_from_key, metric_cell
from bench.run.cells import CellCache
from bench.run.errors import Unavailable, one_line
from bench.run.extract import FeatureStage
from bench.run.validate import ItemStatus
from unison.core.weights import MissingWeightsError

log = logging.getLogger(__name__)


@dataclass
class Scores:
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric key -> cell over all items
    subsets: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # subset -> key -> cell
    per_item: dict[str, list[float | None] | None] = field(default_factory=dict)  # key -> scores (None: set-level)


def resolve_metrics(keys: list[str]) -> dict[str, Metric | MissingWeightsError]:
    """Every metric before any work, so a typo costs nothing (RegistryError names it and its
    neighbours); one whose weights are missing is kept as its error and becomes an unavailable cell."""
    metrics: dict[str, Metric | MissingWeightsError] = {}
    for key in keys:
        try:
            metrics[key] = registry.METRICS.get(key)
        except MissingWeightsError as e:
            metrics[key] = e
    return metrics


def _bootstrap(values: list[float]) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    from bench.stats import bootstrap_ci

    lo, hi = bootstrap_ci(values)
    return float(lo), float(hi)


def score_cell(metric: Metric, key: str, items: list[Item], feats: dict[str, list], statuses: dict[str, ItemStatus]
               ) -> tuple[dict[str, Any], list[float | None] | None]:
    """One metric over some items -> (results cell, per-item scores or None). Never raises: a
    metric that fails becomes a cell marked unavailable with the error, the other metrics go on;
    a non-finite value fails the cell, a non-finite per-item score fails that item (reasons in the
    cell's extra["item_errors"])."""
    desc = metric.describe()
    n = len(items)
    n_gen_failed = sum(statuses[it.id].status != "ok" for it in items)

    def unavailable(reason: str, extra: dict[str, Any] | None = None):
        return metric_cell(desc, n=n, n_failed=n_gen_failed, unavailable=reason, extra=extra), None

    try:
        res = metric.score(items, feats)
    except MissingWeightsError as e:
        return unavailable(one_line(e))
    except Exception as e:  # noqa: BLE001 - a broken cell must not sink the other metrics
        log.exception("metric %s failed", key)
        return unavailable(f"error: {one_line(e)}")
    if res.unavailable is not None:
        return unavailable(res.unavailable, res.extra)
    extra = dict(res.extra)
    extra.setdefault("n_scored", int(res.n))
    try:
        per = res.per_item
        if per is not None:
            if len(per) != n:
                return unavailable(f"error: metric returned {len(per)} per-item scores for {n} items")
            per, item_errors = clean_scores(per, [it.id for it in items])
            if item_errors:
                log.error("metric %s: %d item(s) failed: %s", key, len(item_errors), item_errors)
                extra["item_errors"] = item_errors
            ok = [v for v in per if v is not None]
            # Items the metric does not apply to (WER of a sound effect, SIM without a prompt) are
            # neither counted in n nor as failures.
            n_applicable = n - len(extra.get("not_applicable", []))
            if res.value is None:
                return unavailable("error: no item could be scored" if not ok else "error: metric returned no value",
                                   extra)
            ci = res.ci95 if res.ci95 is not None else _bootstrap(ok)
            return metric_cell(desc, value=res.value, n=n_applicable, n_failed=n_applicable - len(ok), ci95=ci,
                               extra=extra), per
        if res.value is None:
            return unavailable("error: metric returned no value", extra)
        return metric_cell(desc, value=res.value, n=n, n_failed=n_gen_failed, ci95=res.ci95, extra=extra), None
    except (FloatingPointError, TypeError, ValueError) as e:
        log.error("metric %s: %s", key, e)
        # clean_float's FloatingPointError already reads "non-finite value nan"
        return unavailable(f"error: {e if isinstance(e, FloatingPointError) else one_line(e)}", extra)


def cached_score_cell(cells: CellCache | None, metric: Metric, key: str, items: list[Item],
                      feats: dict[str, list], feature_keys: dict[str, list[str | None]],
                      statuses: dict[str, ItemStatus]) -> tuple[dict[str, Any], list[float | None] | None]:
    """score_cell, read back from ``cells`` when the same metric code has scored the same items and
    features before; a measured cell is stored for the next time."""
    if cells is None:
        return score_cell(metric, key, items, feats, statuses)
    ck = cells.key(metric, items, [statuses[it.id].status for it in items], feature_keys)
    hit = cells.get(ck)
    if hit is not None:
        return hit
    cell, per = score_cell(metric, key, items, feats, statuses)
    if cell["unavailable"] is None:
        cells.put(ck, cell, per)
    return cell, per


def score_all(metrics: dict[str, Metric | MissingWeightsError], items: list[Item], statuses: dict[str, ItemStatus],
              stage: FeatureStage, subsets: list[str], system_unavailable: str | None = None,
              progress: bool | Progress = False, label: str = "", cells: CellCache | None = None) -> Scores:
    """Every metric over all items, then over each subset's items (same features, sliced).
    ``system_unavailable``: the reason every cell is empty when the system could not run;
    ``cells``: where measured cells are cached (None: always recompute).
    The bar counts metrics ("score <label> · <metric>", the one in hand); extraction runs inside it."""
    scores = Scores(subsets={s: {} for s in subsets})
    n_failed = sum(s.status != "ok" for s in statuses.values())
    bars = Progress.of(progress)
    head = f"score {label}" if label else "score"
    bar = bars.bar(head, len(metrics), unit="metric")
    try:
        for key, metric in metrics.items():
            bar.set_description_str(f"{bars.prefix}{head} · {key}")
            _score_metric(key, metric, items, statuses, stage, subsets, system_unavailable, n_failed, scores, cells)
            bar.update(1)
    finally:
        bar.close()
    return scores


def _score_metric(key: str, metric: Metric | MissingWeightsError, items: list[Item], statuses: dict[str, ItemStatus],
                  stage: FeatureStage, subsets: list[str], system_unavailable: str | None, n_failed: int,
                  scores: Scores, cells: CellCache | None = None) -> None:
    """One metric's cells (all items, each subset) into ``scores``."""
    if isinstance(metric, MissingWeightsError):
        scores.cells[key] = metric_cell(describe_from_key(key), n=len(items), unavailable=one_line(metric))
        return
    try:
        if system_unavailable is not None:
            raise Unavailable(system_unavailable)
        needs = dict(metric.needs or {})
        wanted = {role: (lambda it, r=role: metric.wants(it, r)) for role in needs}
        feats = {role: stage.features(ext, role, wanted[role]) for role, ext in needs.items()}
        fkeys = {role: stage.feature_keys(ext, role, wanted[role]) for role, ext in needs.items()}
    except Unavailable as e:
        scores.cells[key] = metric_cell(metric.describe(), n=len(items), n_failed=n_failed, unavailable=str(e))
        for s in subsets:
            sub = [it for it in items if it.subset == s]
            if sub:
                scores.subsets[s][key] = dict(scores.cells[key], n=len(sub),
                                              n_failed=sum(statuses[it.id].status != "ok" for it in sub))
        scores.per_item[key] = None
        return
    scores.cells[key], scores.per_item[key] = cached_score_cell(cells, metric, key, items, feats, fkeys, statuses)
    for s in subsets:
        idx = [i for i, it in enumerate(items) if it.subset == s]
        if not idx:
            continue
        sub_feats = {role: [f[i] for i in idx] for role, f in feats.items()}
        sub_keys = {role: [k[i] for i in idx] for role, k in fkeys.items()}
        scores.subsets[s][key], _ = cached_score_cell(cells, metric, key, [items[i] for i in idx], sub_feats,
                                                      sub_keys, statuses)
