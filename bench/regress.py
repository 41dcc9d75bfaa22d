"""``unison-bench regress --baseline A.json --results B.json --tolerances tol.yaml``

Checks a new results.json against a baseline, metric by metric, direction-aware. Exit codes:
0 every checked metric passes, 1 at least one regression, 2 bad input (unreadable or malformed
files, e.g. a NaN or a string where a number belongs in either results.json or the samples.jsonl
beside it; another harness major version, different suite version / test set, different metric
variant or version).

Tolerance file (YAML)::

    default: {abs: 0.0, rel: 0.05}      # optional: when present, every common metric is checked
    subsets: false                       # also check per-subset cells with the same tolerances
    metrics:
      fd@yamnet-16k: {rel: 0.10}
      wer@faster-whisper-base-seedtts: {abs: 0.02, ci: true}
      "clap@*": {abs: 0.01}              # fnmatch patterns; the first match in file order wins

A metric regresses when it is worse than the baseline (per ``higher_is_better``) by more than
``max(abs, rel * |baseline|)``; with ``ci: true`` a value still inside the baseline's 95% CI
passes. A checked metric that the new results lack or could not compute fails.
"""
from __future__ import annotations

import argparse
import fnmatch
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.results import ResultsError
from bench.resultset import BadInput, LoadedResults, load, metric_differences, suite_differences
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_REGRESSION
log = logging.getLogger("bench.regress")


@dataclass(frozen=True)
class Tolerance:
    abs: float = 0.0
    rel: float = 0.0
    ci: bool = False


@dataclass
class Check:
    key: str
    higher_is_better: bool
    baseline: float | None
    result: float | None
    allowed: float | None
    status: str  # "pass" | "FAIL" | "missing" | "skip"
    note: str = ""

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.result is None:
            return None
        return self.result - self.baseline


def _tolerance(d: Any, where: str) -> Tolerance:
    if not isinstance(d, dict):
        raise BadInput(f"tolerances: {where} must be a mapping like {{abs: 0.01, rel: 0.05, ci: true}}")
    unknown = set(d) - {"abs", "rel", "ci"}
    if unknown:
        raise BadInput(f"tolerances: {where} has unknown fields {sorted(unknown)} (use abs, rel, ci)")
    try:
        tol = Tolerance(abs=float(d.get("abs", 0.0)), rel=float(d.get("rel", 0.0)), ci=bool(d.get("ci", False)))
    except (TypeError, ValueError) as e:
        raise BadInput(f"tolerances: {where}: {e}") from e
    if tol.abs < 0 or tol.rel < 0:
        raise BadInput(f"tolerances: {where}: abs and rel must be >= 0")
    return tol


@dataclass
class Tolerances:
    default: Tolerance | None
    patterns: list[tuple[str, Tolerance]]
    subsets: bool = False

    def lookup(self, key: str) -> Tolerance | None:
        for pat, tol in self.patterns:
            if fnmatch.fnmatchcase(key, pat):
                return tol
        return self.default

    def explicit(self) -> list[str]:
        return [p for p, _ in self.patterns if not any(ch in p for ch in "*?[")]


def load_tolerances(path: str | Path) -> Tolerances:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text())
    except OSError as e:
        raise BadInput(f"{p}: cannot read tolerances ({e})") from e
    except yaml.YAMLError as e:
        raise BadInput(f"{p}: not valid YAML ({e})") from e
    if not isinstance(raw, dict):
        raise BadInput(f"{p}: expected a mapping with 'metrics' (and optional 'default', 'subsets')")
    unknown = set(raw) - {"default", "metrics", "subsets"}
    if unknown:
        raise BadInput(f"{p}: unknown top-level fields {sorted(unknown)}")
    metrics = raw.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise BadInput(f"{p}: 'metrics' must map metric keys (name@variant) to tolerances")
    default = _tolerance(raw["default"], "default") if raw.get("default") is not None else None
    patterns = [(str(k), _tolerance(v, str(k))) for k, v in metrics.items()]
    if default is None and not patterns:
        raise BadInput(f"{p}: no metric to check (give 'metrics' or 'default')")
    return Tolerances(default, patterns, bool(raw.get("subsets", False)))


def check_cell(key: str, base: dict[str, Any] | None, new: dict[str, Any] | None, tol: Tolerance) -> Check:
    hib = bool((base or new or {}).get("higher_is_better", False))
    if base is None or base.get("value") is None:
        why = "not in baseline" if base is None else f"baseline unavailable: {base.get('unavailable')}"
        return Check(key, hib, None, None if new is None else new.get("value"), None, "skip", why)
    b = float(base["value"])
    if new is None:
        return Check(key, hib, b, None, None, "missing", "metric absent from results")
    if new.get("value") is None:
        return Check(key, hib, b, None, None, "missing", f"unavailable: {new.get('unavailable')}")
    r = float(new["value"])
    allowed = max(tol.abs, tol.rel * abs(b))
    worse_by = (b - r) if hib else (r - b)  # > 0 means worse
    note = ""
    if tol.ci and base.get("ci95"):
        lo, hi = base["ci95"]
        ci_room = (b - lo) if hib else (hi - b)  # distance to the CI bound on the bad side
        allowed = max(allowed, float(ci_room))
        note = f"baseline CI [{lo:.4g}, {hi:.4g}]"
    status = "FAIL" if worse_by > allowed + 1e-12 * max(1.0, abs(b)) else "pass"
    return Check(key, hib, b, r, allowed, status, note)


def compatibility(base: LoadedResults, new: LoadedResults, keys: list[str]) -> list[str]:
    diffs = suite_differences(base, new)
    for key in keys:
        ca, cb = base.metrics.get(key), new.metrics.get(key)
        if ca is not None and cb is not None:
            diffs += metric_differences(key, ca, cb)
    return diffs


def run_checks(base: LoadedResults, new: LoadedResults, tols: Tolerances) -> list[Check]:
    """All checks (overall, then subsets if asked). BadInput if the two are not comparable."""
    keys = list(dict.fromkeys([k for k in base.metrics if tols.lookup(k) is not None]
                              + [k for k in tols.explicit()]))
    diffs = compatibility(base, new, keys)
    if diffs:
        raise BadInput("refusing to compare:\n  " + "\n  ".join(diffs))
    checks = []
    for key in keys:
        tol = tols.lookup(key)
        assert tol is not None
        checks.append(check_cell(key, base.metrics.get(key), new.metrics.get(key), tol))
    if tols.subsets:
        for subset, cells in sorted((base.data.get("subsets") or {}).items()):
            new_cells = (new.data.get("subsets") or {}).get(subset, {})
            for key in keys:
                if key in cells:
                    c = check_cell(f"{subset}/{key}", cells[key], new_cells.get(key), tols.lookup(key))
                    checks.append(c)
    return checks


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


def table_rows(checks: list[Check]) -> list[list[str]]:
    rows = []
    for c in checks:
        arrow = "↑" if c.higher_is_better else "↓"
        delta = "—" if c.delta is None else f"{c.delta:+.4g}"
        rows.append([c.key, arrow, _fmt(c.baseline), _fmt(c.result), delta, _fmt(c.allowed), c.status, c.note])
    return rows


HEADER = ["metric", "dir", "baseline", "result", "delta", "allowed", "status", "note"]


def plain_table(rows: list[list[str]], header: list[str] = HEADER) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)])


def markdown_table(rows: list[list[str]], header: list[str] = HEADER) -> str:
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def verdict(checks: list[Check]) -> int:
    return EXIT_REGRESSION if any(c.status in ("FAIL", "missing") for c in checks) else EXIT_OK


def summary_markdown(base: LoadedResults, new: LoadedResults, checks: list[Check]) -> str:
    failed = [c for c in checks if c.status in ("FAIL", "missing")]
    head = "✅ no regression" if not failed else f"❌ {len(failed)} regression(s)"
    suite = new.data["suite"]
    return "\n".join([
        f"### unison-bench regress: {head}",
        "",
        f"suite `{suite['name']}` v{suite['version']} (test set `{str(suite.get('testset_hash'))[:12]}`, "
        f"{suite.get('n_items')} items) — baseline `{base.label}` vs results `{new.label}`",
        "",
        markdown_table(table_rows(checks)),
        "",
    ])


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", required=True, help="baseline results.json (or its run folder)")
    p.add_argument("--results", required=True, help="new results.json (or its run folder)")
    p.add_argument("--tolerances", required=True, help="YAML of per-metric tolerances (abs / rel / ci)")
    p.add_argument("--summary", help="also write a Markdown summary here (for a CI comment)")


def run(args: argparse.Namespace) -> int:
    try:
        tols = load_tolerances(args.tolerances)
        base, new = load(args.baseline), load(args.results)
        checks = run_checks(base, new, tols)
    except (BadInput, ResultsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not checks:
        print("error: no metric of the tolerance file is in the baseline", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(plain_table(table_rows(checks)))
    code = verdict(checks)
    n_fail = sum(c.status in ("FAIL", "missing") for c in checks)
    print(f"\n{'PASS' if code == EXIT_OK else 'REGRESSION'}: {len(checks) - n_fail} ok, {n_fail} failed "
          f"({base.label} -> {new.label})")
    if args.summary:
        from unison.core.files import atomic_write_text

        atomic_write_text(Path(args.summary), summary_markdown(base, new, checks))
    return code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="unison-bench regress")
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
