import sys
import types

import numpy as np
import pytest
import scipy.linalg

from bench.item import Item
from bench.metrics.frechet import (FAD, FD, KAD, frechet_distance, frechet_distance_low_rank, frechet_distance_samples,
                                   gaussian_stats, kernel_audio_distance, median_pairwise_distance,
                                   trace_sqrt_product)


def _reference_fd(x, y):
    """Independent float64 computation with scipy's sqrtm (the textbook formula)."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def _package_fd():
    """frechet-audio-distance's own FrechetAudioDistance.calculate_frechet_distance.

    Importing the package imports laion_clap, whose module import fetches a BERT tokenizer from
    the hub; offline that fails, so a stub laion_clap module stands in (the Fréchet function
    itself is numpy/scipy only and never touches it)."""
    before = set(sys.modules)
    saved = sys.modules.get("laion_clap")
    sys.modules["laion_clap"] = types.ModuleType("laion_clap")
    try:
        fad_mod = pytest.importorskip("frechet_audio_distance.fad")
        fn = fad_mod.FrechetAudioDistance.calculate_frechet_distance
    finally:
        # Leave no module imported against the stub behind for other tests.
        for name in set(sys.modules) - before:
            if name.startswith("frechet_audio_distance"):
                del sys.modules[name]
        if saved is None:
            sys.modules.pop("laion_clap", None)
        else:
            sys.modules["laion_clap"] = saved
    return lambda *a: float(fn(None, *a))


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 16))
    mix = rng.normal(size=(16, 16)) / 4
    b = rng.normal(size=(180, 16)) @ (np.eye(16) + mix) + 0.4
    return a, b


def test_matches_scipy_sqrtm(sets):
    a, b = sets
    assert frechet_distance_samples(a, b) == pytest.approx(_reference_fd(a, b), rel=1e-9, abs=1e-9)


def test_matches_frechet_audio_distance_package(sets):
    a, b = sets
    package = _package_fd()
    mu1, s1 = gaussian_stats(a)
    mu2, s2 = gaussian_stats(b)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(package(mu1, s1, mu2, s2), rel=1e-9)


def test_closed_form_diagonal_gaussians():
    # For diagonal covariances FD = |dmu|^2 + sum (sqrt(a) - sqrt(b))^2.
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 9.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    expected = 5.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0.0
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, abs=1e-12)
    assert trace_sqrt_product(s1, s2) == pytest.approx(2 + 2 + 9, abs=1e-12)


def test_identical_sets_give_zero_and_rank_deficient_is_fine():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 32))  # N < D: singular covariance, sqrtm-based code struggles
    assert frechet_distance_samples(x, x) == pytest.approx(0.0, abs=1e-9)
    y = rng.normal(size=(6, 32))
    assert frechet_distance_samples(x, y) > 0.0


@pytest.mark.parametrize("n1,n2,d", [(5, 7, 64), (30, 50, 512), (2, 2, 8), (40, 12, 2048)])
def test_sample_route_equals_covariance_route_and_sqrtm(n1, n2, d):
    """Fewer rows than dimensions: the nuclear-norm route (what mini sets take) gives the FD of the
    covariance route and of scipy's sqrtm, on correlated, offset sets."""
    rng = np.random.default_rng(n1 * 1000 + d)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    a = rng.normal(size=(n1, d)) @ mix
    b = rng.normal(size=(n2, d)) @ (mix + np.eye(d) / 2) + 0.3
    mu1, s1 = gaussian_stats(a)
    mu2, s2 = gaussian_stats(b)
    fast = frechet_distance_low_rank(a, b)
    assert frechet_distance_samples(a, b) == fast  # the route the metric takes when N < D
    # the covariance route sums square roots of the round-off eigenvalues of a rank-deficient D x D
    # matrix (about 1e-8 relative here); the exact case below shows which route is right
    assert fast == pytest.approx(frechet_distance(mu1, s1, mu2, s2), rel=1e-7)
    if d <= 512:  # sqrtm of a 2048-d singular matrix is slow and itself inexact
        assert fast == pytest.approx(_reference_fd(a, b), rel=1e-6)
    assert frechet_distance_low_rank(a, a) == pytest.approx(0.0, abs=1e-9 * float(np.trace(s1)))


def test_sample_route_is_exact_in_high_dimension():
    """Two rows each, +-u + m1 and +-v + m2: S1 = 2uuᵀ, S2 = 2vvᵀ, so Tr sqrt(S1 S2) = 2|u·v| and
    FD = |m1 - m2|² + 2|u|² + 2|v|² - 4|u·v| exactly, in 2048 dimensions."""
    rng = np.random.default_rng(7)
    u, v, m1, m2 = (rng.normal(size=2048) for _ in range(4))
    exact = float((m1 - m2) @ (m1 - m2) + 2 * u @ u + 2 * v @ v - 4 * abs(u @ v))
    got = frechet_distance_samples(np.stack([m1 + u, m1 - u]), np.stack([m2 + v, m2 - v]))
    assert got == pytest.approx(exact, rel=1e-12)


def test_fails_loudly_on_bad_input():
    with pytest.raises(FloatingPointError):
        frechet_distance(np.zeros(2), np.array([[1.0, 0], [0, np.nan]]), np.zeros(2), np.eye(2))
    with pytest.raises(FloatingPointError):  # not PSD: a real error, not a clipped round-off
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError):
        gaussian_stats(np.zeros((1, 4)))


def _reference_kad(x, y):
    """Independent loop-based unbiased MMD^2 with the median heuristic of y."""
    d_yy = [np.linalg.norm(y[i] - y[j]) for i in range(len(y)) for j in range(i + 1, len(y))]
    h = np.median(d_yy)
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * h * h))  # noqa: E731
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return 100 * (xx + yy - 2 * xy)


def test_kad_matches_loop_reference():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 6)) + 0.5
    y = rng.normal(size=(25, 6))
    assert kernel_audio_distance(x, y) == pytest.approx(_reference_kad(x, y), rel=1e-10)
    assert median_pairwise_distance(y) > 0
    # Same distribution: unbiased estimate near zero (can be slightly negative); shift: clearly positive.
    same = kernel_audio_distance(rng.normal(size=(200, 6)), rng.normal(size=(200, 6)))
    far = kernel_audio_distance(rng.normal(size=(200, 6)) + 1.0, rng.normal(size=(200, 6)))
    assert abs(same) < 1.0 < far


def test_kad_rejects_degenerate_reference():
    with pytest.raises(FloatingPointError):
        kernel_audio_distance(np.ones((3, 2)), np.ones((3, 2)))


def _items(n):
    return [Item(id=f"i{k}", task="t2a", instruction="x", seconds=1.0, seed=k) for k in range(n)]


def test_metric_classes_score_feature_dicts(sets):
    a, b = sets
    n = 40
    items = _items(n)
    gen = [{"embedding": a[i]} for i in range(n)]
    ref = [{"embedding": b[i]} for i in range(n)]
    gen[3] = None  # a failed generation is skipped and counted
    fd = FD("panns-cnn14-16k", paper_protocol=True)
    assert fd.key == "fd@panns-cnn14-16k" and fd.needs == {"gen": "panns-cnn14-16k", "target": "panns-cnn14-16k"}
    res = fd.score(items, {"gen": gen, "target": ref})
    keep = [i for i in range(n) if i != 3]
    assert res.value == pytest.approx(_reference_fd(a[keep], b[:n]), rel=1e-9)
    assert res.n == n - 1 and res.extra["n_failed"] == 1 and res.per_item is None

    kad = KAD("yamnet-16k").score(items, {"gen": gen, "target": ref})
    assert kad.value == pytest.approx(kernel_audio_distance(a[keep], b[:n]), rel=1e-12)

    # FAD pools frames of all clips of a side.
    rng = np.random.default_rng(3)
    fgen = [{"frames": rng.normal(size=(4, 5))} for _ in range(10)]
    fref = [{"frames": rng.normal(size=(3, 5)) + 1} for _ in range(10)]
    res = FAD("vggish", paper_protocol=True).score(_items(10), {"gen": fgen, "target": fref})
    pooled_g = np.concatenate([f["frames"] for f in fgen])
    pooled_r = np.concatenate([f["frames"] for f in fref])
    assert res.value == pytest.approx(_reference_fd(pooled_g, pooled_r), rel=1e-9)
    assert res.extra["n_gen_vectors"] == 40 and res.extra["n_ref_vectors"] == 30


def test_metric_marks_too_few_clips_unavailable_and_wrong_key_fails():
    items = _items(3)
    gen = [{"embedding": np.ones(4)}, None, None]
    res = FD("yamnet-16k").score(items, {"gen": gen, "target": gen})
    assert res.value is None and "needs >= 2" in res.unavailable
    with pytest.raises(KeyError, match="frames"):
        FAD("vggish").score(items, {"gen": [{"embedding": np.ones(4)}] * 3, "target": gen})
