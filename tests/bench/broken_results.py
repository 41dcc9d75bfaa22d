"""Ways a results.json / samples.jsonl can be broken, for the tests that every command reading
results refuses them: exit 2, one line on stderr naming the file, the metric and the field."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import bench
from bench.results import metric_cell

KEY = "fd@yamnet-16k"


def write_valid(folder: Path, suite: str = "audiocaps_t2a", system: str = "sysA", value: float = 10.0) -> Path:
    """A small, valid results.json (one metric overall and in subset "add") + samples.jsonl."""
    folder.mkdir(parents=True, exist_ok=True)
    cell = metric_cell({"name": "fd", "variant": "yamnet-16k", "version": "1", "higher_is_better": False},
                       value=value, n=3, n_failed=1, ci95=(value - 1, value + 1))
    data = {"schema": 1, "harness": {"name": "unison-bench", "version": bench.__version__, "git": None},
            "suite": {"name": suite, "version": "1", "scale": "mini", "testset_hash": "ab" * 32, "n_items": 3},
            "system": {"name": system, "signature": {}}, "seed": 0, "created": "2026-01-01T00:00:00+00:00",
            "packages": {}, "weights": {}, "metrics": {KEY: cell}, "subsets": {"add": {KEY: dict(cell)}}}
    (folder / "results.json").write_text(json.dumps(data))
    rows = [{"id": f"i{k}", "subset": "add", "status": "ok", "error": None, "scores": {}} for k in range(3)]
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return folder / "results.json"


def _set(field: str, value: Any) -> Callable[[dict], None]:
    def change(cell: dict) -> None:
        cell[field] = value
    return change


def _drop(field: str) -> Callable[[dict], None]:
    def change(cell: dict) -> None:
        del cell[field]
    return change


# name -> (how the cell changes, what the error must quote). Python's json writes NaN / Infinity
# tokens for non-finite floats, and reads them back: exactly what a broken run would leave.
CELL_CASES: dict[str, tuple[Callable[[dict], None], str]] = {
    "nan-value": (_set("value", float("nan")), "'value' is nan"),
    "inf-value": (_set("value", float("inf")), "'value' is inf"),
    "-inf-ci": (_set("ci95", [float("-inf"), 1.0]), "'ci95[0]' is -inf"),
    "string-value": (_set("value", "0.25"), "'value' is '0.25' (a string)"),
    "bool-n": (_set("n", True), "'n' is True (a boolean)"),
    "list-n-failed": (_set("n_failed", [1]), "'n_failed' is [1] (a list)"),
    "missing-value": (_drop("value"), "lacks field(s) 'value'"),
}
CASES = [*CELL_CASES, "malformed-json"]


def break_results(path: Path, case: str, key: str, subset: str | None = None) -> str:
    """Rewrite the results.json at ``path`` broken as ``case`` (the cell ``key``, overall or in
    ``subset``); returns the text the error message must contain."""
    text = path.read_text()
    if case == "malformed-json":
        path.write_text(text[: len(text) // 2])
        return "not JSON"
    data = json.loads(text)
    cells = data["metrics"] if subset is None else data["subsets"][subset]
    change, expect = CELL_CASES[case]
    change(cells[key])
    path.write_text(json.dumps(data))
    return expect


def break_samples(path: Path, key: str, value: Any) -> None:
    """Give the second item of a samples.jsonl the score ``value`` for ``key``."""
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    rows[1].setdefault("scores", {})[key] = value
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def assert_refused(code: int, err: str, path: Path, case: str, key: str, expect: str) -> None:
    """Exit 2 with one line naming the file, the metric (unless the JSON itself is broken) and the
    offending field and value, and saying how to fix it; no traceback."""
    assert code == 2, (case, err)
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert str(path) in err and expect in err, (case, err)
    if case != "malformed-json":
        assert repr(key) in err and "re-run the suite" in err, (case, err)
