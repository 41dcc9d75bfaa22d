"""Metrics on audio-classifier logits: KL (paired, reference || generated) and Inception Score.

Recipe facts (audioldm_eval, the paper protocol):
- KL: softmax over the classifier's raw logits; KL(p_ref || p_gen) per item with an epsilon of
  1e-6 added to the generated probabilities before the log (terms with p_ref = 0 contribute 0);
  mean over the paired items (= their kl_div(reduction="sum") / N). stable-audio-metrics uses the
  opposite direction: never mix the two.
- IS: softmax in float64, items shuffled with numpy RandomState(2020).permutation, 10 splits
  [i*N//10, (i+1)*N//10), exp(mean_i KL(p_i || mean p)) per split; value = mean over splits
  (std over splits in extra).
"""
from __future__ import annotations

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult, finite
from bench.metrics.common import Feats, as_vector, mean_result, role_feats, take

KL_EPS = 1e-6
IS_SPLITS = 10
IS_SEED = 2020


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64 (max-subtracted)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def kl_ref_gen(ref_logits: np.ndarray, gen_logits: np.ndarray, eps: float = KL_EPS) -> np.ndarray:
    """Per-item KL(softmax(ref) || softmax(gen) + eps): (N,) for (N, C) logits."""
    ref = np.atleast_2d(np.asarray(ref_logits, dtype=np.float64))
    gen = np.atleast_2d(np.asarray(gen_logits, dtype=np.float64))
    if ref.shape != gen.shape:
        raise ValueError(f"KL needs logits of the same shape, got {ref.shape} and {gen.shape}")
    p = softmax(ref)
    log_p = log_softmax(ref)
    log_q = np.log(softmax(gen) + eps)
    terms = np.where(p > 0.0, p * (log_p - log_q), 0.0)
    return finite(terms.sum(axis=-1), "KL")


def inception_score(logits: np.ndarray, splits: int = IS_SPLITS, seed: int = IS_SEED,
                    shuffle: bool = True) -> tuple[float, float]:
    """(mean, std) over splits of exp(E_x KL(p(y|x) || p(y))), float64."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"IS needs logits of shape (N, C), got {z.shape}")
    n = z.shape[0]
    if n < splits:
        raise ValueError(f"IS with {splits} splits needs at least {splits} clips, got {n}")
    finite(z, "logits")
    if shuffle:
        z = z[np.random.RandomState(seed).permutation(n)]
    p, log_p = softmax(z), log_softmax(z)
    scores = []
    for i in range(splits):
        sl = slice(i * n // splits, (i + 1) * n // splits)
        q = p[sl].mean(axis=0, keepdims=True)
        kl = (p[sl] * (log_p[sl] - np.log(q))).sum(axis=1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))


class KL(Metric):
    """Paired KL(reference || generated) of classifier posteriors, mean over items."""

    name = "kl"
    version = "1"
    higher_is_better = False

    def __init__(self, extractor: str, paper_protocol: bool = False, variant: str | None = None):
        self.extractor = extractor
        self.variant = variant or extractor
        self.paper_protocol = paper_protocol
        self.needs = {"gen": extractor, "target": extractor}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        gen = role_feats(feats, "gen", len(items))
        ref = role_feats(feats, "target", len(items))
        per_item: list[float | None] = []
        not_applicable: list[int] = []
        for i, item in enumerate(items):
            what = f"{self.key} item {item.id}"
            if item.target is None:  # no reference audio to compare with
                not_applicable.append(i)
                per_item.append(None)
                continue
            r = take(ref[i], "logits", what + " target")
            g = take(gen[i], "logits", what + " gen")
            if g is None or r is None:
                per_item.append(None)
                continue
            per_item.append(float(kl_ref_gen(as_vector(r, what)[None], as_vector(g, what)[None])[0]))
        return mean_result(per_item, not_applicable, what=self.key)


class IS(Metric):
    """Inception score of the generated clips' classifier posteriors."""

    name = "is"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str, paper_protocol: bool = False, variant: str | None = None):
        self.extractor = extractor
        self.variant = variant or extractor
        self.paper_protocol = paper_protocol
        self.needs = {"gen": extractor}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        gen = role_feats(feats, "gen", len(items))
        rows = [take(row, "logits", f"{self.key} item {it.id}") for row, it in zip(gen, items)]
        present = [as_vector(r, f"{self.key} item {it.id}") for r, it in zip(rows, items) if r is not None]
        extra = {"n_failed": len(rows) - len(present), "splits": IS_SPLITS, "shuffle_seed": IS_SEED}
        if len(present) < IS_SPLITS:
            return MetricResult(value=None, n=len(present), extra=extra,
                                unavailable=f"{self.key} needs >= {IS_SPLITS} clips ({IS_SPLITS} splits), "
                                            f"got {len(present)}")
        mean, std = inception_score(np.stack(present))
        extra["std_over_splits"] = std
        return MetricResult(value=mean, n=len(present), extra=extra)


def kl_panns() -> KL:
    return KL("panns-cnn14-16k", paper_protocol=True)


def is_panns() -> IS:
    return IS("panns-cnn14-16k", paper_protocol=True)


def kl_yamnet() -> KL:
    return KL("yamnet-16k")


def is_yamnet() -> IS:
    return IS("yamnet-16k")
