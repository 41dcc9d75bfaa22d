"""Uncertainty for benchmark numbers: bootstrap CIs of a mean, paired bootstrap of a difference
on the same items, and mean ± std across seeds.

All resampling is seeded (numpy's default_rng) so a CI printed in a table is reproducible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np

# Rows of bootstrap indices drawn at once: bounds memory to ~_CHUNK * n indices.
_CHUNK = 256


@dataclass(frozen=True)
class Summary:
    """Mean of the present values with its percentile-bootstrap CI. ``n`` counts the values used,
    ``n_missing`` the Nones that were ignored (failed items)."""

    mean: float
    lo: float
    hi: float
    n: int
    n_missing: int


class PairedResult(NamedTuple):
    """delta = mean(b - a) over items present in both; CI of delta; two-sided bootstrap p-value of
    "no difference"; n = number of pairs used, n_missing = pairs dropped for a None."""

    delta: float
    ci_lo: float
    ci_hi: float
    p_value: float
    n: int = 0
    n_missing: int = 0

    @property
    def significant(self) -> bool:
        """True when the CI excludes zero."""
        return not (self.ci_lo <= 0.0 <= self.ci_hi)


def present(values: Iterable[float | None]) -> tuple[np.ndarray, int]:
    """(float64 array of the non-None values, number of Nones). NaN/inf is an error, not missing."""
    vals = list(values)
    kept = np.array([v for v in vals if v is not None], dtype=np.float64)
    if kept.size and not np.all(np.isfinite(kept)):
        raise ValueError("values contain NaN or inf; mark failed items with None instead")
    return kept, len(vals) - kept.size


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")


def _bootstrap_means(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of n_boot resamples (with replacement) of x: (n_boot,)."""
    out = np.empty(n_boot, dtype=np.float64)
    n = x.size
    for start in range(0, n_boot, _CHUNK):
        stop = min(start + _CHUNK, n_boot)
        idx = rng.integers(0, n, size=(stop - start, n))  # (chunk, n)
        out[start:stop] = x[idx].mean(axis=1)
    return out


def _percentiles(samples: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def bootstrap_summary(values: Iterable[float | None], n_boot: int = 1000, seed: int = 0,
                      level: float = 0.95) -> Summary:
    """Mean and percentile-bootstrap CI of the mean, ignoring None (counted in n_missing)."""
    _check_level(level)
    x, n_missing = present(values)
    if x.size == 0:
        raise ValueError("bootstrap of an empty set: no value is present (all None?)")
    mean = float(x.mean())
    if x.size == 1:  # one value: no spread to resample
        return Summary(mean, mean, mean, 1, n_missing)
    lo, hi = _percentiles(_bootstrap_means(x, n_boot, np.random.default_rng(seed)), level)
    return Summary(mean, lo, hi, int(x.size), n_missing)


def bootstrap_ci(values: Iterable[float | None], n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile-bootstrap CI (lo, hi) of the mean of the non-None values."""
    s = bootstrap_summary(values, n_boot=n_boot, seed=seed, level=level)
    return s.lo, s.hi


def bootstrap_ratio_ci(numerators: Sequence[float], denominators: Sequence[float],
                       n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """CI of sum(num)/sum(den) resampling items (corpus WER = errors / reference words)."""
    _check_level(level)
    num = np.asarray(numerators, dtype=np.float64)
    den = np.asarray(denominators, dtype=np.float64)
    if num.shape != den.shape or num.size == 0:
        raise ValueError("ratio bootstrap needs equally long, non-empty numerators and denominators")
    rng = np.random.default_rng(seed)
    ratios = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, _CHUNK):
        stop = min(start + _CHUNK, n_boot)
        idx = rng.integers(0, num.size, size=(stop - start, num.size))
        d = den[idx].sum(axis=1)
        if np.any(d <= 0):
            raise ValueError("a resample has a zero denominator (items with no reference words?)")
        ratios[start:stop] = num[idx].sum(axis=1) / d
    return _percentiles(ratios, level)


def paired_bootstrap(a: Sequence[float | None], b: Sequence[float | None], n_boot: int = 1000,
                     seed: int = 0, level: float = 0.95) -> PairedResult:
    """Paired bootstrap of mean(b - a) on the same items (a[i] and b[i] are the same item).

    CI: percentile bootstrap of the mean difference. p-value: two-sided, from the bootstrap
    distribution re-centred on zero (the null of no difference):
    p = (1 + #{|mean*_0| >= |delta|}) / (1 + n_boot).
    """
    _check_level(level)
    if len(a) != len(b):
        raise ValueError(f"paired bootstrap needs aligned items: {len(a)} vs {len(b)} values")
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    n_missing = len(a) - len(pairs)
    if not pairs:
        raise ValueError("paired bootstrap: no item has a value on both sides")
    d = np.array([y - x for x, y in pairs], dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise ValueError("paired values contain NaN or inf; mark failed items with None instead")
    delta = float(d.mean())
    if d.size == 1:
        return PairedResult(delta, delta, delta, 1.0, 1, n_missing)
    rng = np.random.default_rng(seed)
    boot = _bootstrap_means(d, n_boot, rng)
    lo, hi = _percentiles(boot, level)
    null = boot - delta  # bootstrap distribution of the mean under "no difference"
    # Tolerance so that an exactly-zero difference does not count as more extreme than itself.
    tol = 1e-12 * max(1.0, abs(delta))
    p = (1.0 + float(np.sum(np.abs(null) >= abs(delta) - tol))) / (1.0 + n_boot)
    return PairedResult(delta, lo, hi, min(1.0, p), int(d.size), n_missing)


@dataclass(frozen=True)
class SeedSummary:
    """mean ± std (sample std, ddof=1; 0.0 for a single seed) across seeds, beside per-seed values."""

    mean: float | None
    std: float | None
    n_seeds: int
    per_seed: dict[int, float | None]

    def to_json(self) -> dict:
        return {"mean": self.mean, "std": self.std, "n_seeds": self.n_seeds,
                "per_seed": {str(k): v for k, v in self.per_seed.items()}}


def seed_summary(per_seed: Mapping[int, float | None]) -> SeedSummary:
    """Mean ± std across seeds of one metric; seeds whose value is None are listed but not used."""
    vals = [v for v in per_seed.values() if v is not None]
    if not vals:
        return SeedSummary(None, None, 0, dict(per_seed))
    x = np.asarray(vals, dtype=np.float64)
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    mean = float(x.mean())
    if not (math.isfinite(mean) and math.isfinite(std)):
        raise ValueError(f"non-finite per-seed values: {dict(per_seed)}")
    return SeedSummary(mean, std, int(x.size), dict(per_seed))
