"""Small helpers shared by the metric families: reading one feature key per item, and turning
per-item scores into a MetricResult (mean with a bootstrap CI)."""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.metrics.base import MetricResult
from bench.stats import bootstrap_summary

Feats = dict[str, list[dict[str, Any] | None]]


def role_feats(feats: Feats, role: str, n_items: int) -> list[dict[str, Any] | None]:
    """The features of one role, checked to be aligned with the items."""
    if role not in feats:
        raise KeyError(f"features for role {role!r} were not provided (have {sorted(feats)})")
    rows = feats[role]
    if len(rows) != n_items:
        raise ValueError(f"role {role!r}: {len(rows)} feature rows for {n_items} items")
    return rows


def take(row: dict[str, Any] | None, key: str, what: str) -> Any:
    """row[key], or None when the row is absent (failed item). A present row without the key is
    an extractor/metric mismatch and fails loudly."""
    if row is None:
        return None
    if key not in row:
        raise KeyError(f"{what}: feature dict has no {key!r} (keys: {sorted(row)}); "
                       "docs/architecture.md (feature keys) lists the keys each metric reads")
    return row[key]


def as_vector(x: Any, what: str) -> np.ndarray:
    v = np.asarray(x, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{what}: expected a non-empty 1-D vector, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise FloatingPointError(f"{what}: non-finite values")
    return v


def stack_rows(vectors: list[np.ndarray], what: str) -> np.ndarray:
    """Stack 1-D vectors into (N, D), checking that all have the same D."""
    dims = {v.shape[-1] for v in vectors}
    if len(dims) > 1:
        raise ValueError(f"{what}: embeddings of different sizes {sorted(dims)}")
    return np.stack(vectors).astype(np.float64)


def mean_result(per_item: list[float | None], not_applicable: list[int] | None = None,
                extra: dict[str, Any] | None = None, what: str = "metric") -> MetricResult:
    """Aggregate per-item scores: value = mean of the present ones, ci95 = percentile bootstrap.

    per_item[i] is None for failed items and for items the metric does not apply to; the latter
    are listed in extra["not_applicable"] so that they are not counted as failures."""
    extra = dict(extra or {})
    na = sorted(not_applicable or [])
    extra["not_applicable"] = na
    n_failed = sum(1 for i, v in enumerate(per_item) if v is None and i not in set(na))
    extra["n_failed"] = n_failed
    if all(v is None for v in per_item):
        reason = (f"{what}: no item to score" if len(na) == len(per_item)
                  else f"{what}: every applicable item failed ({n_failed})")
        return MetricResult(value=None, n=0, per_item=per_item, extra=extra, unavailable=reason)
    s = bootstrap_summary(per_item)
    return MetricResult(value=s.mean, n=s.n, per_item=per_item, ci95=(s.lo, s.hi), extra=extra)
