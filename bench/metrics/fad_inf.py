"""FAD-inf / FD-inf: the sample-size-corrected Fréchet distance of fadtk (Gui et al., 2024,
"Adapting Frechet Audio Distance for Generative Music Evaluation").

Recipe (fadtk 1.1.0, ``FrechetAudioDistance.score_inf``): the reference (baseline) Gaussian is
fitted to ALL reference embeddings; the generated embeddings are concatenated (frames of every
clip for FAD, one vector per clip for FD) into E (max_n rows); for each n in
``[int(v) for v in np.linspace(500, max_n, 25)]`` ONE subset of n rows is drawn uniformly WITH
replacement (``np.random.choice(max_n, size=n, replace=True)``), its Gaussian compared with the
reference's; a least-squares line FAD(n) = slope / n + intercept is fitted
(``np.polyfit(1/n, FAD, 1)``) and the intercept (1/n -> 0) is the value. fadtk draws from numpy's
global, unseeded generator; here the draws come from ``np.random.RandomState(seed)`` with
``seed = 0`` (the same legacy Mersenne-Twister stream as ``np.random.seed(0)`` then
``np.random.choice``), recorded with every n, FAD(n), slope and R² in the cell's extra. When
max_n < 500 the schedule still runs from 500 down to max_n (fadtk does the same: with
replacement, n may exceed the number of distinct rows); the cell then says so
(``extra["n_below_min"]``), since the extrapolation rests on few distinct embeddings.

The intercept is not clipped (as in fadtk): for two close sets it can be slightly negative (e.g.
the oracle's generated set equal to its reference: every FD(n) is a small bias term, and the
line through them crosses 1/n = 0 below zero).

The Fréchet distance of each subset is bench.metrics.frechet's (float64, an exact route without
scipy's sqrtm); fadtk uses scipy's eig-based one. The conformance test bounds the difference.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.item import Item
from bench.metrics.base import MetricResult
from bench.metrics.common import Feats, stack_rows
from bench.metrics.frechet import FAD, FD, frechet_distance_samples

MIN_N = 500
STEPS = 25
SEED = 0


def fad_inf(gen: np.ndarray, ref: np.ndarray, seed: int = SEED, min_n: int = MIN_N, steps: int = STEPS
            ) -> dict[str, Any]:
    """fadtk's FAD-inf of generated rows ``gen`` (max_n, D) against the reference rows ``ref``."""
    gen, ref = np.asarray(gen, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    max_n = gen.shape[0]
    ns = [int(n) for n in np.linspace(min_n, max_n, steps)]
    rng = np.random.RandomState(seed)
    points = []
    for n in ns:
        idx = rng.choice(max_n, size=n, replace=True)
        points.append((n, frechet_distance_samples(gen[idx], ref)))
    xs = 1.0 / np.asarray(ns, dtype=np.float64)
    ys = np.asarray([p[1] for p in points])
    slope, intercept = np.polyfit(xs, ys, 1)
    ss_tot = float(np.sum((ys - ys.mean()) ** 2))
    r2 = 1.0 - float(np.sum((ys - (slope * xs + intercept)) ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    return {"value": float(intercept), "slope": float(slope), "r2": r2, "points": points, "ns": ns}


class _InfMixin:
    """Turns a Fréchet variant (FD over clip embeddings, FAD over frames) into its -inf variant."""

    seed = SEED

    def score(self, items: list[Item], feats: Feats) -> MetricResult:  # type: ignore[override]
        gen, gen_missing = self._collect(items, feats, "gen")  # type: ignore[attr-defined]
        ref, ref_missing = self._collect(items, feats, "target")  # type: ignore[attr-defined]
        extra: dict[str, Any] = {"n_failed": gen_missing, "n_ref_missing": ref_missing,
                                 "n_gen_clips": len(gen), "n_ref_clips": len(ref)}
        if len(gen) < 2 or len(ref) < 2:
            return MetricResult(value=None, n=len(gen), extra=extra,
                                unavailable=f"{self.key} needs >= 2 clips per side "  # type: ignore[attr-defined]
                                            f"(gen {len(gen)}, reference {len(ref)})")
        g = stack_rows([r for a in gen for r in a], f"{self.key} gen")  # type: ignore[attr-defined]
        r = stack_rows([r for a in ref for r in a], f"{self.key} target")  # type: ignore[attr-defined]
        out = fad_inf(g, r, seed=self.seed)
        extra.update({"n_gen_vectors": int(g.shape[0]), "n_ref_vectors": int(r.shape[0]), "dim": int(g.shape[1]),
                      "protocol": {"reference": "fadtk 1.1.0 score_inf", "min_n": MIN_N, "steps": STEPS,
                                   "repetitions_per_n": 1, "sampling": "generated rows, with replacement",
                                   "rng": f"np.random.RandomState({self.seed}).choice", "fit": "np.polyfit(1/n, FD, 1)",
                                   "reference_side": "all reference rows"},
                      "slope": out["slope"], "r2": out["r2"],
                      "points": [[n, v] for n, v in out["points"]]})
        if g.shape[0] < MIN_N:
            extra["n_below_min"] = (f"{g.shape[0]} generated rows < {MIN_N}: subsets of up to {MIN_N} rows are "
                                    "drawn with replacement from them (fadtk's schedule unchanged)")
        return MetricResult(value=out["value"], n=len(gen), extra=extra)


class FADInf(_InfMixin, FAD):
    name = "fad-inf"
    version = "1"


class FDInf(_InfMixin, FD):
    name = "fd-inf"
    version = "1"


# Factories named in bench/metrics/catalog.py: one per existing Fréchet variant.
def fad_inf_vggish() -> FADInf:
    return FADInf("vggish", paper_protocol=True)


def fd_inf_panns() -> FDInf:
    return FDInf("panns-cnn14-16k", paper_protocol=True)


def fd_inf_yamnet() -> FDInf:
    return FDInf("yamnet-16k")


def fad_inf_yamnet() -> FADInf:
    return FADInf("yamnet-16k")
