"""Aggregate the results.json of several seeds (same suite, test set and system) into one
mean ± std summary, keeping every per-seed value beside it (for ``unison-bench run --seeds 0,1,2``).

The output has the results schema's header fields (from the first seed) plus::

    "seeds": [0, 1, 2],
    "metrics": {key: {<the metric's description fields>, "value": mean, "std": std (ddof=1),
                      "n_seeds": k, "per_seed": {"0": v0, ...}, "unavailable": str|null}},
    "subsets": {subset: {key: same}}
"""
from __future__ import annotations

from typing import Any

from bench.stats import seed_summary

_DESC = ("name", "variant", "version", "higher_is_better", "paper_protocol")


class SeedMismatch(ValueError):
    """The results are not seeds of one and the same run."""


def _check_same_run(results: list[dict[str, Any]]) -> None:
    first = results[0]
    diffs = []
    for r in results[1:]:
        for field in ("name", "version", "testset_hash", "n_items"):
            if r["suite"].get(field) != first["suite"].get(field):
                diffs.append(f"suite.{field}: {first['suite'].get(field)!r} != {r['suite'].get(field)!r}")
        if r["system"] != first["system"]:
            diffs.append(f"system differs: {first['system'].get('name')!r} vs {r['system'].get('name')!r}")
    seeds = [r["seed"] for r in results]
    if len(set(seeds)) != len(seeds):
        diffs.append(f"repeated seeds {seeds}")
    if diffs:
        raise SeedMismatch("cannot aggregate these results over seeds:\n  " + "\n  ".join(diffs))


def _aggregate_cells(cells_by_seed: dict[int, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = list(dict.fromkeys(k for cells in cells_by_seed.values() for k in cells))
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        present = {s: c[key] for s, c in cells_by_seed.items() if key in c}
        descs = {tuple(c.get(f) for f in _DESC) for c in present.values()}
        if len(descs) > 1:
            raise SeedMismatch(f"{key}: metric description differs across seeds ({sorted(map(str, descs))})")
        per_seed = {s: cells_by_seed[s].get(key, {}).get("value") for s in cells_by_seed}
        summary = seed_summary(per_seed)
        first = next(iter(present.values()))
        reasons = sorted({c["unavailable"] for c in present.values() if c.get("unavailable")})
        out[key] = {**{f: first.get(f) for f in _DESC}, "value": summary.mean, "std": summary.std,
                    "n_seeds": summary.n_seeds, "per_seed": summary.to_json()["per_seed"],
                    "unavailable": "; ".join(reasons) if summary.mean is None and reasons else None}
    return out


def aggregate_seeds(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ± std across seeds of every metric (overall and per subset)."""
    if not results:
        raise ValueError("no results to aggregate")
    _check_same_run(results)
    results = sorted(results, key=lambda r: r["seed"])
    first = results[0]
    subsets = list(dict.fromkeys(s for r in results for s in (r.get("subsets") or {})))
    return {
        "schema": first["schema"], "harness": first["harness"], "suite": first["suite"],
        "system": first["system"], "seeds": [r["seed"] for r in results],
        "metrics": _aggregate_cells({r["seed"]: r["metrics"] for r in results}),
        "subsets": {s: _aggregate_cells({r["seed"]: (r.get("subsets") or {}).get(s, {}) for r in results})
                    for s in subsets},
    }


def format_mean_std(cell: dict[str, Any], digits: int = 3) -> str:
    """"0.123 ± 0.004 (0.12, 0.125, 0.127)" for tables."""
    if cell.get("value") is None:
        return "n/a"
    per = ", ".join("—" if v is None else f"{v:.{digits}g}" for v in cell["per_seed"].values())
    return f"{cell['value']:.{digits}g} ± {cell['std']:.{digits}g} ({per})"
