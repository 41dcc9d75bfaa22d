"""Loading results.json (+ the samples.jsonl beside it) for regress / compare, with the checks
that decide whether two results may be compared at all."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench
from bench.results import HARNESS_NAME, load_results


class BadInput(ValueError):
    """Unreadable, malformed or incomparable inputs (exit code 2)."""


def major(version: str) -> str:
    return str(version).split(".")[0]


@dataclass
class LoadedResults:
    path: Path
    data: dict[str, Any]
    samples: dict[str, dict[str, float | None]] | None  # item id -> {metric key: score}; None if absent

    @property
    def label(self) -> str:
        return f"{self.data['system']['name']}/seed{self.data['seed']}"

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        return self.data["metrics"]

    def item_scores(self, key: str) -> dict[str, float | None]:
        if self.samples is None:
            return {}
        return {i: s.get(key) for i, s in self.samples.items() if key in s}


def _load_samples(path: Path) -> dict[str, dict[str, float | None]] | None:
    if not path.exists():
        return None
    out: dict[str, dict[str, float | None]] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["id"])] = dict(row.get("scores") or {})
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise BadInput(f"{path}:{n}: malformed samples.jsonl line ({e})") from e
    return out


def load(path: str | Path) -> LoadedResults:
    """Read and validate one results.json; BadInput on anything wrong (missing file, bad JSON,
    another harness or another major harness version than this one)."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.exists():
        raise BadInput(f"{p}: no such results file")
    try:
        data = load_results(p)
    except ValueError as e:
        raise BadInput(str(e)) from e
    harness = data.get("harness") or {}
    if harness.get("name") != HARNESS_NAME:
        raise BadInput(f"{p}: written by {harness.get('name')!r}, not {HARNESS_NAME!r}")
    if major(harness.get("version", "?")) != major(bench.__version__):
        raise BadInput(f"{p}: harness version {harness.get('version')} has another major version than "
                       f"this unison-bench ({bench.__version__}); rerun it with this version")
    if not isinstance(data["metrics"], dict):
        raise BadInput(f"{p}: 'metrics' is not an object")
    for key, cell in data["metrics"].items():
        if not isinstance(cell, dict) or "value" not in cell or "higher_is_better" not in cell:
            raise BadInput(f"{p}: metric cell {key!r} lacks 'value' / 'higher_is_better'")
    return LoadedResults(p, data, _load_samples(p.parent / "samples.jsonl"))


def suite_differences(a: LoadedResults, b: LoadedResults) -> list[str]:
    """What makes two results non-comparable at the suite / harness level."""
    diffs = []
    for field in ("name", "version", "testset_hash", "n_items"):
        va, vb = a.data["suite"].get(field), b.data["suite"].get(field)
        if va != vb:
            diffs.append(f"suite.{field}: {va!r} != {vb!r}")
    ha, hb = a.data["harness"].get("version", "?"), b.data["harness"].get("version", "?")
    if major(ha) != major(hb):
        diffs.append(f"harness major version: {ha} != {hb}")
    return diffs


def metric_differences(key: str, ca: dict[str, Any], cb: dict[str, Any]) -> list[str]:
    """Differences in what a metric cell measures (variant, version, direction)."""
    return [f"{key}.{f}: {ca.get(f)!r} != {cb.get(f)!r}"
            for f in ("name", "variant", "version", "higher_is_better") if ca.get(f) != cb.get(f)]
