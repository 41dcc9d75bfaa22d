import math

import numpy as np
import pytest
import torch

from bench.item import Item
from bench.metrics.classifier import IS, KL, inception_score, kl_ref_gen, softmax


@pytest.fixture(scope="module")
def logits():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 3, size=(37, 11))
    gen = ref + rng.normal(0, 2, size=(37, 11))
    return ref, gen


def test_kl_equals_torch_kl_div_recipe(logits):
    """Independent derivation: torch.kl_div((softmax(gen)+1e-6).log(), softmax(ref), 'sum') / N."""
    ref, gen = logits
    g, r = torch.tensor(gen), torch.tensor(ref)
    expected = torch.nn.functional.kl_div((g.softmax(1) + 1e-6).log(), r.softmax(1),
                                          reduction="sum") / len(g)
    assert kl_ref_gen(ref, gen).mean() == pytest.approx(float(expected), rel=1e-10)


def test_kl_direction_and_zero():
    ref = np.array([[5.0, 0.0, 0.0]])
    gen = np.array([[0.0, 0.0, 0.0]])
    p, q = softmax(ref)[0], softmax(gen)[0]
    by_hand = sum(pi * math.log(pi / (qi + 1e-6)) for pi, qi in zip(p, q))
    assert kl_ref_gen(ref, gen)[0] == pytest.approx(by_hand, rel=1e-9)
    assert kl_ref_gen(ref, gen)[0] != pytest.approx(kl_ref_gen(gen, ref)[0], rel=1e-3)  # asymmetric
    # KL(p || p + eps) is ~0 (only the epsilon remains).
    assert abs(kl_ref_gen(ref, ref)[0]) < 1e-5
    # A one-hot-like reference: zero-probability classes contribute nothing, no NaN.
    assert np.isfinite(kl_ref_gen(np.array([[1000.0, -1000.0]]), np.array([[-1000.0, 1000.0]]))).all()


def _is_loop(z, splits=10, seed=2020):
    """Loop re-derivation of the audioldm_eval IS recipe."""
    n = len(z)
    z = z[np.random.RandomState(seed).permutation(n)]
    scores = []
    for i in range(splits):
        part = z[i * n // splits:(i + 1) * n // splits]
        probs = [np.exp(row - row.max()) / np.exp(row - row.max()).sum() for row in part]
        marginal = np.mean(probs, axis=0)
        kls = [sum(p_c * math.log(p_c / m_c) for p_c, m_c in zip(p, marginal)) for p in probs]
        scores.append(math.exp(np.mean(kls)))
    return np.mean(scores), np.std(scores)


def test_inception_score_matches_loop(logits):
    ref, _ = logits
    mean, std = inception_score(ref)
    m2, s2 = _is_loop(ref)
    assert mean == pytest.approx(m2, rel=1e-10) and std == pytest.approx(s2, rel=1e-8)
    # The shuffle seed matters (splits differ), the score without shuffling too.
    assert inception_score(ref, seed=1)[0] != pytest.approx(mean, rel=1e-12)


def test_inception_score_bounds():
    # Confident and perfectly diverse (each split covers all classes evenly): IS = number of classes.
    z = np.tile(np.eye(4) * 200.0, (10, 1))
    assert inception_score(z, shuffle=False)[0] == pytest.approx(4.0, rel=1e-6)
    # Identical posteriors everywhere: IS = 1.
    assert inception_score(np.zeros((20, 5)))[0] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        inception_score(np.zeros((9, 5)))


def _items(n, target=True):
    return [Item(id=f"i{k}", task="t2a", instruction="x", seconds=1.0, seed=k,
                 target="t.wav" if target else None) for k in range(n)]


def test_metric_classes(logits):
    ref, gen = logits
    n = len(ref)
    items = _items(n)
    g = [{"logits": x} for x in gen]
    r = [{"logits": x} for x in ref]
    g[5] = None
    kl = KL("panns-cnn14-16k", paper_protocol=True)
    res = kl.score(items, {"gen": g, "target": r})
    keep = [i for i in range(n) if i != 5]
    assert res.value == pytest.approx(kl_ref_gen(ref[keep], gen[keep]).mean(), rel=1e-12)
    assert res.per_item[5] is None and res.extra["n_failed"] == 1
    assert res.ci95[0] < res.value < res.ci95[1]

    res = IS("yamnet-16k").score(items, {"gen": g})
    assert res.value == pytest.approx(inception_score(gen[keep])[0], rel=1e-12)
    assert res.n == n - 1 and IS.higher_is_better and not KL.higher_is_better

    few = IS("yamnet-16k").score(items[:3], {"gen": g[:3]})
    assert few.value is None and "needs >= 10" in few.unavailable


def test_kl_items_without_target_are_not_applicable():
    items = _items(2) + _items(1, target=False)
    rows = [{"logits": np.zeros(3)}, {"logits": np.ones(3)}, {"logits": np.ones(3)}]
    res = KL("yamnet-16k").score(items, {"gen": rows, "target": rows[:2] + [None]})
    assert res.extra["not_applicable"] == [2] and res.extra["n_failed"] == 0 and res.n == 2
