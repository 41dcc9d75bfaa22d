"""The suite schema: one YAML file per suite, validated at load with errors naming file and field.

Example (every field but ``description``, ``subsets``, ``leaderboard``, ``seed`` and
``validation`` is required)::

    name: toy_tones            # must equal the file stem
    version: "1"               # bump whenever the test set or the metric list changes a number
    task: t2a                  # or  tasks: [edit_add, edit_remove]
    description: Sine tones.
    builder: suites.toy_tones:build       # build(params: dict, out: TestSetWriter) -> None
    seed: 0                    # test-set seed (per-item seeds derive from it)
    scales:                    # builder params per scale
      mini: {n: 8}
      paper: {n: 1000}
    generation: {seconds: 2.0, steps: 25, cfg: 4.5}
    metrics: [lsd@ssr, fd@yamnet]
    subsets: [low, high]       # the item.subset values that get their own result rows
    leaderboard: leaderboards/toy.csv
    validation: {duration_tolerance: 0.1, sample_rate: null}   # seconds; Hz (null = any)
    ablation:                  # optional: a suite run over several checkpoints (suites/ablations.yaml)
      checkpoints: {mini: [{name: tiny-O, ...}], paper: [...]}   # per scale; each needs a unique name
      table: {columns: [{header: FD, metric: fd@yamnet-16k, subset: t2a}, {header: Arch, from: checkpoint.arch}]}
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

SCALES = ("mini", "paper")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_METRIC_RE = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.+-]+$")
_TARGET_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class SpecError(ValueError):
    """A suite file that does not follow the schema; the message names the file and the field."""


@dataclass(frozen=True)
class GenerationSettings:
    """What systems are asked for. ``extra`` keeps any other documented knob (e.g. sampler)."""

    seconds: float | None = None
    steps: int | None = None
    cfg: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationSettings:
    """How generated files are checked. ``duration_tolerance`` in seconds against item.seconds."""

    duration_tolerance: float = 0.1
    sample_rate: int | None = None
    silence_threshold: float = 1e-5  # peak |x| at or below this counts as all-silent


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    version: str
    tasks: tuple[str, ...]
    builder: str
    scales: dict[str, dict[str, Any]]
    generation: GenerationSettings
    metrics: tuple[str, ...]
    description: str = ""
    seed: int = 0
    subsets: tuple[str, ...] = ()
    leaderboard: str | None = None
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    ablation: dict[str, Any] | None = None  # checkpoints per scale + table layout (see parse_ablation)
    path: Path | None = None

    def params(self, scale: str) -> dict[str, Any]:
        if scale not in self.scales:
            raise SpecError(f"{self.path}: suite {self.name!r} has no scale {scale!r}; "
                            f"it defines {sorted(self.scales)} (field 'scales')")
        return dict(self.scales[scale])

    def build_key(self, scale: str) -> str:
        """Hash of everything that defines the test set (not the metrics or generation)."""
        blob = {"name": self.name, "version": self.version, "builder": self.builder,
                "params": self.params(scale), "seed": self.seed, "scale": scale}
        return hashlib.sha256(canonical_json(blob).encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path) if self.path else None
        return d


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the same bytes on every machine."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _err(path: Path | str, fieldname: str, msg: str) -> SpecError:
    return SpecError(f"{path}: field {fieldname!r}: {msg}")


def _number(path, name, v, kind=float, positive=True):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int)):
        raise _err(path, name, f"must be {'an integer' if kind is int else 'a number'}, got {v!r}")
    if positive and v <= 0:
        raise _err(path, name, f"must be > 0, got {v!r}")
    return kind(v)


def parse_spec(raw: Any, path: Path | str = "<suite>") -> SuiteSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a suite file must be a YAML mapping, got {type(raw).__name__}")
    known = {"name", "version", "task", "tasks", "description", "builder", "seed", "scales",
             "generation", "metrics", "subsets", "leaderboard", "validation", "ablation"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _err(path, unknown[0], f"unknown field; allowed fields are {sorted(known)}")
    for req in ("name", "version", "builder", "scales", "generation", "metrics"):
        if req not in raw:
            raise _err(path, req, "missing (required)")

    name = raw["name"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _err(path, "name", f"must be a plain identifier, got {name!r}")
    if isinstance(path, Path) and path.stem != name:
        raise _err(path, "name", f"{name!r} must equal the file name stem {path.stem!r}")
    version = raw["version"]
    if isinstance(version, bool) or not isinstance(version, (str, int, float)) or str(version) == "":
        raise _err(path, "version", f"must be a string such as \"1\", got {version!r}")

    if ("task" in raw) == ("tasks" in raw):
        raise _err(path, "task", "give exactly one of 'task' (a name) or 'tasks' (a list)")
    tasks = [raw["task"]] if "task" in raw else raw["tasks"]
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) and t for t in tasks):
        raise _err(path, "tasks" if "tasks" in raw else "task", f"must be non-empty task names, got {tasks!r}")

    builder = raw["builder"]
    if not isinstance(builder, str) or not _TARGET_RE.match(builder):
        raise _err(path, "builder", f"must be 'package.module:function', got {builder!r}")

    scales = raw["scales"]
    if not isinstance(scales, dict) or not scales:
        raise _err(path, "scales", f"must map scale names ({', '.join(SCALES)}) to builder params")
    for s, params in scales.items():
        if s not in SCALES:
            raise _err(path, f"scales.{s}", f"unknown scale; allowed: {list(SCALES)}")
        if params is None:
            scales[s] = {}
        elif not isinstance(params, dict):
            raise _err(path, f"scales.{s}", f"must be a mapping of builder params, got {params!r}")
        try:
            canonical_json(scales[s])
        except (TypeError, ValueError) as e:
            raise _err(path, f"scales.{s}", f"params must be plain JSON values ({e})") from e

    gen = raw["generation"] or {}
    if not isinstance(gen, dict):
        raise _err(path, "generation", f"must be a mapping (seconds, steps, cfg, ...), got {gen!r}")
    generation = GenerationSettings(
        seconds=_number(path, "generation.seconds", gen.get("seconds")),
        steps=_number(path, "generation.steps", gen.get("steps"), kind=int),
        cfg=_number(path, "generation.cfg", gen.get("cfg"), positive=False),
        extra={k: v for k, v in gen.items() if k not in ("seconds", "steps", "cfg")},
    )

    metrics = raw["metrics"]
    if not isinstance(metrics, list) or not metrics:
        raise _err(path, "metrics", "must be a non-empty list of 'name@variant'")
    for i, m in enumerate(metrics):
        if not isinstance(m, str) or not _METRIC_RE.match(m):
            raise _err(path, f"metrics[{i}]", f"must look like 'name@variant', got {m!r}")
    if len(set(metrics)) != len(metrics):
        raise _err(path, "metrics", "lists a metric twice")

    subsets = raw.get("subsets") or []
    if not isinstance(subsets, list) or not all(isinstance(s, str) and s for s in subsets):
        raise _err(path, "subsets", f"must be a list of names, got {subsets!r}")

    leaderboard = raw.get("leaderboard")
    if leaderboard is not None and not isinstance(leaderboard, str):
        raise _err(path, "leaderboard", f"must be a path such as leaderboards/t2a.csv, got {leaderboard!r}")

    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _err(path, "seed", f"must be an integer, got {seed!r}")

    val = raw.get("validation") or {}
    if not isinstance(val, dict) or set(val) - {"duration_tolerance", "sample_rate", "silence_threshold"}:
        raise _err(path, "validation", "allowed keys: duration_tolerance, sample_rate, silence_threshold")
    validation = ValidationSettings(
        duration_tolerance=_number(path, "validation.duration_tolerance", val.get("duration_tolerance", 0.1)),
        sample_rate=_number(path, "validation.sample_rate", val.get("sample_rate"), kind=int),
        silence_threshold=_number(path, "validation.silence_threshold", val.get("silence_threshold", 1e-5),
                                  positive=False),
    )

    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise _err(path, "description", "must be text")

    ablation = parse_ablation(path, raw["ablation"], metrics) if raw.get("ablation") is not None else None

    return SuiteSpec(name=name, version=str(version), tasks=tuple(tasks), builder=builder, scales=scales,
                     generation=generation, metrics=tuple(metrics), description=description.strip(),
                     seed=seed, subsets=tuple(subsets), leaderboard=leaderboard, validation=validation,
                     ablation=ablation, path=Path(path) if isinstance(path, Path) else None)


def parse_ablation(path, raw: Any, metrics: list[str]) -> dict[str, Any]:
    """``checkpoints``: scale -> list of {name, ...descriptive fields}; ``table.columns``: each
    {header, metric[, subset]} (a metric of this suite) or {header, from} (a checkpoint/system field)."""
    if not isinstance(raw, dict) or set(raw) - {"checkpoints", "table"} or "checkpoints" not in raw:
        raise _err(path, "ablation", "must be a mapping with 'checkpoints' (per scale) and 'table'")
    ckpts = raw["checkpoints"]
    if not isinstance(ckpts, dict) or not ckpts:
        raise _err(path, "ablation.checkpoints", "must map scale names to lists of checkpoints")
    for s, rows in ckpts.items():
        if s not in SCALES:
            raise _err(path, f"ablation.checkpoints.{s}", f"unknown scale; allowed: {list(SCALES)}")
        if not isinstance(rows, list) or len(rows) < 2 or not all(isinstance(r, dict) and r.get("name") for r in rows):
            raise _err(path, f"ablation.checkpoints.{s}", "must list at least two mappings, each with a 'name'")
        names = [r["name"] for r in rows]
        if len(set(names)) != len(names):
            raise _err(path, f"ablation.checkpoints.{s}", f"checkpoint names must be unique, got {names}")
    cols = (raw.get("table") or {}).get("columns") if isinstance(raw.get("table"), dict) else None
    if not isinstance(cols, list) or not cols:
        raise _err(path, "ablation.table", "must have a non-empty 'columns' list")
    for i, c in enumerate(cols):
        where = f"ablation.table.columns[{i}]"
        if not isinstance(c, dict) or not c.get("header") or ("metric" in c) == ("from" in c):
            raise _err(path, where, "needs a 'header' and exactly one of 'metric' or 'from'")
        for key in ("metric", "paper_metric"):
            if key in c and c[key] not in metrics:
                raise _err(path, f"{where}.{key}", f"{c[key]!r} is not in this suite's metrics list")
    return raw


def load_spec(path: str | Path) -> SuiteSpec:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError(f"{path}: cannot read suite file ({e})") from e
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML ({e})") from e
    return parse_spec(raw, path)
