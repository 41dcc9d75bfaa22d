import pytest

from bench.multiseed import SeedMismatch, aggregate_seeds, format_mean_std
from bench.results import metric_cell


def _res(seed, fd, clap=None, system="ckpt", testset="h"):
    d = lambda n, v, hib: {"name": n, "variant": "yamnet-16k", "version": "1", "higher_is_better": hib}  # noqa: E731
    metrics = {"fd@yamnet-16k": metric_cell(d("fd", fd, False), value=fd, n=10)}
    if clap is not None:
        metrics["kl@yamnet-16k"] = metric_cell(d("kl", clap, False), value=clap, n=10)
    return {"schema": 1, "harness": {"name": "unison-bench", "version": "0.1.0", "git": None},
            "suite": {"name": "s", "version": "1", "testset_hash": testset, "n_items": 10},
            "system": {"name": system, "signature": {}}, "seed": seed, "metrics": metrics,
            "subsets": {"add": {"fd@yamnet-16k": metric_cell(d("fd", fd, False), value=fd + 1, n=5)}}}


def test_mean_std_beside_per_seed_values():
    agg = aggregate_seeds([_res(2, 3.0, 0.5), _res(0, 1.0, 0.3), _res(1, 2.0)])
    assert agg["seeds"] == [0, 1, 2]
    fd = agg["metrics"]["fd@yamnet-16k"]
    assert fd["value"] == pytest.approx(2.0) and fd["std"] == pytest.approx(1.0) and fd["n_seeds"] == 3
    assert fd["per_seed"] == {"0": 1.0, "1": 2.0, "2": 3.0} and fd["higher_is_better"] is False
    kl = agg["metrics"]["kl@yamnet-16k"]
    assert kl["per_seed"]["1"] is None and kl["n_seeds"] == 2 and kl["value"] == pytest.approx(0.4)
    assert agg["subsets"]["add"]["fd@yamnet-16k"]["value"] == pytest.approx(3.0)
    assert format_mean_std(fd) == "2 ± 1 (1, 2, 3)"


def test_refuses_mixed_runs():
    with pytest.raises(SeedMismatch, match="testset_hash"):
        aggregate_seeds([_res(0, 1.0), _res(1, 1.0, testset="other")])
    with pytest.raises(SeedMismatch, match="system"):
        aggregate_seeds([_res(0, 1.0), _res(1, 1.0, system="b")])
    with pytest.raises(SeedMismatch, match="repeated"):
        aggregate_seeds([_res(0, 1.0), _res(0, 2.0)])
