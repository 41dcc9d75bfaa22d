import numpy as np
import pytest

from bench.stats import (bootstrap_ci, bootstrap_ratio_ci, bootstrap_summary, paired_bootstrap,
                         seed_summary)


def test_bootstrap_ci_brackets_mean_ignores_none_and_is_reproducible():
    rng = np.random.default_rng(0)
    x = list(rng.normal(1.0, 1.0, size=200)) + [None, None]
    s = bootstrap_summary(x)
    assert s.n == 200 and s.n_missing == 2
    assert s.lo < s.mean < s.hi
    # Width close to the normal-theory 2 * 1.96 * sd / sqrt(n).
    sd = np.std([v for v in x if v is not None], ddof=1)
    assert (s.hi - s.lo) == pytest.approx(2 * 1.96 * sd / np.sqrt(200), rel=0.2)
    assert bootstrap_ci(x) == bootstrap_ci(x) == (s.lo, s.hi)
    assert bootstrap_ci(x, seed=1) != bootstrap_ci(x, seed=0)
    assert bootstrap_ci(x, level=0.5)[1] - bootstrap_ci(x, level=0.5)[0] < s.hi - s.lo


def test_bootstrap_ci_errors_and_degenerate():
    with pytest.raises(ValueError):
        bootstrap_ci([None, None])
    with pytest.raises(ValueError):
        bootstrap_ci([1.0, float("nan")])
    with pytest.raises(ValueError):
        bootstrap_ci([1.0, 2.0], level=1.5)
    assert bootstrap_ci([3.0]) == (3.0, 3.0)


def test_coverage_of_bootstrap_ci_near_nominal():
    rng = np.random.default_rng(5)
    covered = 0
    trials = 200
    for t in range(trials):
        x = rng.exponential(1.0, size=60)  # skewed on purpose; true mean 1
        lo, hi = bootstrap_ci(x, n_boot=500, seed=t)
        covered += lo <= 1.0 <= hi
    assert 0.86 <= covered / trials <= 0.99


def test_paired_bootstrap_detects_a_known_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, size=100)
    b = a + 0.3 + rng.normal(0.0, 0.2, size=100)  # same items, shifted by 0.3
    r = paired_bootstrap(list(a), list(b))
    assert r.delta == pytest.approx(float(np.mean(b - a)))
    assert r.ci_lo < 0.3 < r.ci_hi and r.ci_lo > 0
    assert r.p_value < 0.01 and r.significant
    # Pairs with a None on either side are dropped and counted.
    a2 = list(a)
    a2[0] = None
    r2 = paired_bootstrap(a2, list(b))
    assert r2.n == 99 and r2.n_missing == 1
    delta, lo, hi, p, *_ = r2  # tuple unpacking works
    assert lo < delta < hi


def test_paired_bootstrap_false_positive_rate_near_level():
    """Two draws of the same distribution on the same items: flagged about 5% of the time."""
    rng = np.random.default_rng(2)
    trials, flagged_ci, flagged_p = 200, 0, 0
    for t in range(trials):
        item_effect = rng.normal(0, 1, size=80)  # shared per-item difficulty
        a = item_effect + rng.normal(0, 0.5, size=80)
        b = item_effect + rng.normal(0, 0.5, size=80)
        r = paired_bootstrap(a, b, n_boot=400, seed=t)
        flagged_ci += r.significant
        flagged_p += r.p_value < 0.05
    assert 0.01 <= flagged_ci / trials <= 0.10
    assert 0.01 <= flagged_p / trials <= 0.10


def test_paired_bootstrap_input_checks():
    with pytest.raises(ValueError):
        paired_bootstrap([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        paired_bootstrap([None], [1.0])
    r = paired_bootstrap([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert r.delta == 0.0 and r.p_value == 1.0 and not r.significant


def test_ratio_ci_for_corpus_rates():
    rng = np.random.default_rng(3)
    words = rng.integers(5, 20, size=300)
    errors = rng.binomial(words, 0.1)
    lo, hi = bootstrap_ratio_ci(errors, words)
    assert lo < errors.sum() / words.sum() < hi
    assert lo > 0.07 and hi < 0.13


def test_seed_summary_mean_std():
    s = seed_summary({0: 1.0, 1: 2.0, 2: 3.0, 3: None})
    assert s.mean == 2.0 and s.std == pytest.approx(1.0) and s.n_seeds == 3
    assert s.to_json()["per_seed"]["3"] is None
    one = seed_summary({7: 0.5})
    assert one.std == 0.0 and one.n_seeds == 1
    assert seed_summary({0: None}).mean is None
