"""The cache of scored cells: a hit returns the stored cell and skips the metric; anything that
decides the number (items, features, statuses, the metric's settings or code) is a miss."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.run.cells import CellCache, code_hash
from bench.run.score import cached_score_cell
from bench.run.validate import ItemStatus


class Counting(Metric):
    """Per-item score = the feature's value times ``scale``; counts its calls."""

    name, variant = "toy", "count"

    def __init__(self, scale: float = 1.0):
        self.scale = scale
        self._calls = 0
        self.needs = {"gen": "toy-ext"}

    def score(self, items, feats):
        self._calls += 1
        per = [None if f is None else f["x"] * self.scale for f in feats["gen"]]
        ok = [v for v in per if v is not None]
        return MetricResult(value=sum(ok) / len(ok) if ok else None, n=len(ok), per_item=per)


class Unavailable(Counting):
    def score(self, items, feats):
        self._calls += 1
        return MetricResult(value=None, n=0, unavailable="needs >= 2 clips")


def _items(n=3, text="a"):
    return [Item(id=f"i{k}", task="t2a", instruction=text, seconds=1.0, seed=k) for k in range(n)]


def _score(cells, metric, items, xs, keys, statuses=None):
    statuses = statuses or {it.id: ItemStatus() for it in items}
    feats = {"gen": [{"x": x} for x in xs]}
    return cached_score_cell(cells, metric, metric.key, items, feats, {"gen": keys}, statuses)


def test_hit_returns_the_stored_cell_without_scoring(tmp_path):
    cells, m = CellCache(tmp_path), Counting()
    items, keys = _items(), ["k0", "k1", "k2"]
    first = _score(cells, m, items, [1.0, 2.0, 4.0], keys)
    again = _score(cells, m, items, [1.0, 2.0, 4.0], keys)
    assert m._calls == 1 and again == first
    assert first[0]["value"] == pytest.approx(7 / 3) and first[1] == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("change", ["feature key", "item field", "status", "setting", "item order"])
def test_what_decides_the_number_is_a_miss(tmp_path, change):
    cells, m = CellCache(tmp_path), Counting()
    items, keys = _items(), ["k0", "k1", "k2"]
    _score(cells, m, items, [1.0, 2.0, 4.0], keys)
    statuses = None
    if change == "feature key":
        keys = ["k0", "k1", "other"]
    elif change == "item field":
        items = _items(text="b")
    elif change == "status":
        statuses = {it.id: ItemStatus() for it in items}
        statuses["i1"].fail("boom")
    elif change == "setting":
        m = Counting(scale=2.0)
    else:
        items, keys = items[::-1], keys[::-1]
    _score(cells, m, items, [1.0, 2.0, 4.0], keys, statuses)
    assert m._calls == (1 if change == "setting" else 2)


def test_unavailable_cells_are_not_stored_and_torn_entries_recompute(tmp_path):
    cells, m = CellCache(tmp_path), Unavailable()
    items, keys = _items(), ["k0", "k1", "k2"]
    _score(cells, m, items, [1.0, 2.0, 4.0], keys)
    _score(cells, m, items, [1.0, 2.0, 4.0], keys)
    assert m._calls == 2 and not list(tmp_path.rglob("*.json"))
    ok = Counting()
    _score(cells, ok, items, [1.0, 2.0, 4.0], keys)
    [entry] = list(tmp_path.rglob("*.json"))
    entry.write_text('{"cell": ')  # what a kill mid-write would leave without the atomic rename
    _score(cells, ok, items, [1.0, 2.0, 4.0], keys)
    assert ok._calls == 2


def test_an_edit_to_the_metric_code_is_a_new_key(tmp_path):
    def load(source: str, name: str):
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod.M

    src = "from bench.metrics.base import Metric\nclass M(Metric):\n    def score(self, items, feats):\n        return {}\n"
    cells, items = CellCache(tmp_path), _items()
    a = load(src, "cells_toy_a")
    key_a = cells.key(a(), items, ["ok"] * 3, {})
    b = load(src.replace("return {}", "return {'edited': 1}"), "cells_toy_a")
    assert code_hash(a) != code_hash(b)
    assert cells.key(b(), items, ["ok"] * 3, {}) != key_a
