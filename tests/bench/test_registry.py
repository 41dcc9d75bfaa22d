import sys

import pytest

import bench.metrics.catalog as metric_catalog
from bench import registry
from bench.registry import RegistryError


def test_metric_resolved_lazily(monkeypatch):
    monkeypatch.delitem(sys.modules, "bench_toys", raising=False)
    monkeypatch.setitem(metric_catalog.METRICS, "rmsdiff@toy", "bench_toys:RmsDiff")
    assert "rmsdiff@toy" in registry.METRICS.names()
    assert "bench_toys" not in sys.modules  # listing names imports nothing
    m = registry.METRICS.create("rmsdiff@toy")
    assert "bench_toys" in sys.modules and m.key == "rmsdiff@toy"


def test_unknown_name_lists_registered_and_close_matches(monkeypatch):
    monkeypatch.setitem(metric_catalog.METRICS, "rmsdiff@toy", "bench_toys:RmsDiff")
    with pytest.raises(RegistryError) as e:
        registry.METRICS.factory("rmsdif@toy")
    msg = str(e.value)
    assert "unknown metric 'rmsdif@toy'" in msg and "Did you mean: rmsdiff@toy" in msg
    assert "Registered metrics:" in msg
    with pytest.raises(RegistryError, match="Registered systems: .*oracle"):
        registry.SYSTEMS.factory("nope")


def test_bad_catalog_entries(monkeypatch):
    monkeypatch.setitem(metric_catalog.METRICS, "a@b", "no_colon_here")
    monkeypatch.setitem(metric_catalog.METRICS, "c@d", "no_such_module_xyz:f")
    monkeypatch.setitem(metric_catalog.METRICS, "e@f", "bench_toys:NoSuchThing")
    with pytest.raises(RegistryError, match="must look like 'package.module:factory'"):
        registry.METRICS.factory("a@b")
    with pytest.raises(RegistryError, match="cannot import module 'no_such_module_xyz'"):
        registry.METRICS.factory("c@d")
    with pytest.raises(RegistryError, match="has no attribute 'NoSuchThing'"):
        registry.METRICS.factory("e@f")


def test_oracle_registered():
    from bench.systems.oracle import OracleSystem

    assert isinstance(registry.SYSTEMS.create("oracle"), OracleSystem)


def test_suites_found_by_name_in_extra_dirs(tmp_path):
    import bench_toys

    bench_toys.write_suite(tmp_path)
    assert registry.find_suite("toy_tones", [tmp_path]) == tmp_path / "toy_tones.yaml"
    assert registry.load_suite("toy_tones", [tmp_path]).name == "toy_tones"
    with pytest.raises(RegistryError, match="Did you mean: toy_tones"):
        registry.find_suite("toy_tone", [tmp_path])
    with pytest.raises(RegistryError, match="does not exist"):
        registry.find_suite(tmp_path / "missing.yaml")


def test_suites_sort_by_their_declared_order(tmp_path):
    """Reports and the embedded default follow each YAML's `order`; suites without one, or not on
    this machine, come after, by name."""
    import bench_toys

    bench_toys.write_suite(tmp_path)  # toy_tones: no order
    names = ["toy_tones", "ablations", "not_here", "seedtts", "audiocaps_t2a"]
    ranked = sorted(names, key=lambda n: registry.suite_order(n, [tmp_path]))
    assert ranked == ["audiocaps_t2a", "seedtts", "ablations", "toy_tones", "not_here"]


def test_system_pool_shares_one_instance_per_system_and_arguments(monkeypatch):
    import bench.systems.catalog as sc

    made = []

    class Counted(registry.import_target("bench_toys:SlowOracle", "toy")):
        def __init__(self, arg=None, **kw):
            super().__init__()
            made.append((arg, kw))

    monkeypatch.setitem(sc.SYSTEMS, "toy_counted", Counted)
    pool = registry.SystemPool()
    a = pool.get("toy_counted")
    assert pool.get("toy_counted") is a and pool.get("toy_counted", {}) is a
    b = pool.get("toy_counted:x", {"steps": "3"})
    assert b is not a and pool.get("toy_counted:x", {"steps": "3"}) is b
    assert made == [(None, {}), ("x", {"steps": "3"})]
