"""Loading results.json (+ the samples.jsonl beside it) for regress / compare, with the checks
that decide whether two results may be compared at all. Reading and validating the files is
bench.results' job (ResultsError); this module adds what comparing needs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench
from bench.results import HARNESS_NAME, load_results, load_samples, results_file


class BadInput(ValueError):
    """Incomparable inputs or a bad tolerance file (exit code 2); malformed results files raise
    bench.results.ResultsError."""


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


def load(path: str | Path) -> LoadedResults:
    """Read one results.json (validated by bench.results.load_results: ResultsError) and refuse
    results of another harness or another major harness version than this one (BadInput)."""
    p = results_file(path)
    data = load_results(p)
    harness = data["harness"]
    if harness["name"] != HARNESS_NAME:
        raise BadInput(f"{p}: written by {harness['name']!r}, not {HARNESS_NAME!r}")
    if major(harness["version"]) != major(bench.__version__):
        raise BadInput(f"{p}: harness version {harness['version']} has another major version than "
                       f"this unison-bench ({bench.__version__}); rerun it with this version")
    rows = load_samples(p.parent / "samples.jsonl")
    samples = None if rows is None else {i: dict(r.get("scores") or {}) for i, r in rows.items()}
    return LoadedResults(p, data, samples)


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
