"""The suite schema: one YAML file per suite, validated at load with errors naming file and field.

A suite carries everything generic modules need to know about it: what to build and score, its
place in the report, what the embedded default runs on it, which published table and columns its
numbers fill, whether it compares checkpoints, and which outside layouts its export writes.
Example (every field but ``description``, ``subsets``, ``seed``, ``validation``, ``layouts``,
``order``, ``default``, ``checkpoints`` and ``leaderboard`` is required)::

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
    metrics: [lsd@ssr-eval, fd@yamnet-16k]
    subsets: [low, high]       # the item.subset values that get their own result rows
    validation: {duration_tolerance: 0.1, sample_rate: null}   # seconds; Hz (null = any)
    layouts: [seedtts]         # outside layouts `unison-bench export` also writes (bench/layouts)
    order: 9                   # place among the suites in reports and the embedded default
    default:                   # run by `unison-bench default` (suites without this block are not)
      systems: [oracle, unison]   # catalog names; `unison` = the default run's UNISON checkpoint
      report_items: 2          # at least this many items with audio in its report
      items: 6                 # only its first N items (optional; keeps the default's time small)
    leaderboard:               # the published table its numbers fill (leaderboards/published/<table>.csv)
      table: toy
      columns: {"WER (low)": {subset: low}, "GT CLAP": {metric: clap-gt@laion-music-speech}}
      rows: {low: low, high: high, overall: null}   # published row subset -> results subset
    checkpoints:               # the suite compares checkpoints: the default runs each of them
      folder: {env: TOY_CKPTS, default: checkpoints/tiny}
      scales: {mini: [{name: a, file: a.safetensors}, {name: b, file: b.safetensors}]}

A leaderboard column not listed under ``columns`` is filled by the overall cell of the metric its
published rows name (their ``protocol``); ``checkpoint_rows`` (``{system: "{conditioning}
[{name}]", subset: "{arch}"}``) labels a measured checkpoint's rows with fields of its entry.
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
class DefaultRun:
    """The suite's part in ``unison-bench default``."""

    systems: tuple[str, ...]  # catalog names; "unison" = the default run's checkpoint (or the suite's own)
    report_items: int = 0  # at least this many items with audio in the report
    items: int | None = None  # the default runs only the first N items of this suite (None = all)


UNISON = "unison"  # in default.systems: the UNISON checkpoint(s) of the default run


@dataclass(frozen=True)
class Checkpoints:
    """A suite that compares checkpoints (one row each): their entries per scale and their folder."""

    scales: dict[str, tuple[dict[str, Any], ...]]  # scale -> entries, each {name, file?, ...descriptive fields}
    folder: str  # relative to the repository root, or absolute
    folder_env: str | None = None  # an environment variable that overrides ``folder``

    def entries(self, scale: str) -> tuple[dict[str, Any], ...]:
        return self.scales.get(scale, ())

    @staticmethod
    def file(entry: dict[str, Any]) -> str:
        return str(entry.get("file", f"{entry['name']}.safetensors"))


@dataclass(frozen=True)
class ColumnSource:
    """Where a published column's measured value comes from."""

    metric: str | None = None  # results key (name@variant); None = the column's published protocol
    subset: str | None = None  # results subset; None = all items


@dataclass(frozen=True)
class LeaderboardMap:
    """The published table a suite's numbers fill."""

    table: str  # leaderboards/published/<table>.csv
    columns: dict[str, ColumnSource] = field(default_factory=dict)  # published header -> source, when not default
    rows: dict[str, str | None] = field(default_factory=dict)  # published row subset -> results subset (None =
    # all items); empty: one row per measured run
    checkpoint_rows: dict[str, str] = field(default_factory=dict)  # {system, subset}: templates over the
    # run's checkpoint entry, for suites that compare checkpoints


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
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    order: int | None = None  # place in reports and the default run; None = after the ordered ones
    default: DefaultRun | None = None
    leaderboard: LeaderboardMap | None = None
    checkpoints: Checkpoints | None = None
    layouts: tuple[str, ...] = ()  # outside layouts the export writes beside items.jsonl (bench.layouts)
    path: Path | None = None

    @property
    def compares_checkpoints(self) -> bool:
        return self.checkpoints is not None

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
             "generation", "metrics", "subsets", "validation", "order", "default", "leaderboard", "checkpoints",
             "layouts"}
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

    order = raw.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        raise _err(path, "order", f"must be an integer (the suite's place in reports), got {order!r}")
    layouts = parse_layouts(path, raw.get("layouts"))
    checkpoints = parse_checkpoints(path, raw["checkpoints"]) if raw.get("checkpoints") is not None else None
    default = parse_default(path, raw["default"]) if raw.get("default") is not None else None
    leaderboard = (parse_leaderboard(path, raw["leaderboard"], metrics, subsets, checkpoints)
                   if raw.get("leaderboard") is not None else None)

    return SuiteSpec(name=name, version=str(version), tasks=tuple(tasks), builder=builder, scales=scales,
                     generation=generation, metrics=tuple(metrics), description=description.strip(),
                     seed=seed, subsets=tuple(subsets), validation=validation, order=order, default=default,
                     leaderboard=leaderboard, checkpoints=checkpoints, layouts=layouts,
                     path=Path(path) if isinstance(path, Path) else None)


def _mapping(path, name: str, raw: Any, allowed: set[str], required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _err(path, name, f"must be a mapping with keys {sorted(allowed)}, got {raw!r}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _err(path, f"{name}.{unknown[0]}", f"unknown field; allowed fields are {sorted(allowed)}")
    for req in required:
        if req not in raw:
            raise _err(path, f"{name}.{req}", "missing (required)")
    return raw


def parse_layouts(path, raw: Any) -> tuple[str, ...]:
    """Names of bench.layouts' outside layouts (not ``ids``: every export has it)."""
    from bench.layouts import EXPORTED

    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw) or len(set(raw)) != len(raw):
        raise _err(path, "layouts", f"must list distinct layout names from {list(EXPORTED)}, got {raw!r}")
    for name in raw:
        if name not in EXPORTED:
            raise _err(path, "layouts", f"unknown layout {name!r}; the export can also write {list(EXPORTED)}")
    return tuple(raw)


def parse_default(path, raw: Any) -> DefaultRun:
    raw = _mapping(path, "default", raw, {"systems", "report_items", "items"}, ("systems",))
    systems = raw["systems"]
    if not isinstance(systems, list) or not systems or not all(isinstance(x, str) and x for x in systems):
        raise _err(path, "default.systems", f"must list catalog system names (or {UNISON!r}), got {systems!r}")
    if len(set(systems)) != len(systems):
        raise _err(path, "default.systems", f"lists a system twice: {systems}")
    items = raw.get("report_items", 0)
    if isinstance(items, bool) or not isinstance(items, int) or items < 0:
        raise _err(path, "default.report_items", f"must be an integer >= 0, got {items!r}")
    first = raw.get("items")
    if first is not None and (isinstance(first, bool) or not isinstance(first, int) or first < 1):
        raise _err(path, "default.items", f"must be an integer >= 1 (the first N items), got {first!r}")
    return DefaultRun(systems=tuple(systems), report_items=items, items=first)


def parse_checkpoints(path, raw: Any) -> Checkpoints:
    """``scales``: scale -> at least two entries, each {name, file?, ...}; ``folder``: {default, env?}."""
    raw = _mapping(path, "checkpoints", raw, {"scales", "folder"}, ("scales", "folder"))
    scales = raw["scales"]
    if not isinstance(scales, dict) or not scales:
        raise _err(path, "checkpoints.scales", "must map scale names to lists of checkpoints")
    for s, rows in scales.items():
        if s not in SCALES:
            raise _err(path, f"checkpoints.scales.{s}", f"unknown scale; allowed: {list(SCALES)}")
        if not isinstance(rows, list) or len(rows) < 2 or not all(isinstance(r, dict) and r.get("name") for r in rows):
            raise _err(path, f"checkpoints.scales.{s}", "must list at least two mappings, each with a 'name'")
        names = [r["name"] for r in rows]
        if len(set(names)) != len(names):
            raise _err(path, f"checkpoints.scales.{s}", f"checkpoint names must be unique, got {names}")
    folder = _mapping(path, "checkpoints.folder", raw["folder"], {"default", "env"}, ("default",))
    for key in ("default", "env"):
        if key in folder and not (isinstance(folder[key], str) and folder[key]):
            raise _err(path, f"checkpoints.folder.{key}", f"must be a non-empty string, got {folder[key]!r}")
    return Checkpoints(scales={s: tuple(rows) for s, rows in scales.items()}, folder=folder["default"],
                       folder_env=folder.get("env"))


def parse_leaderboard(path, raw: Any, metrics: list[str], subsets: list[str],
                      checkpoints: Checkpoints | None) -> LeaderboardMap:
    """Metrics and subsets named here must be the suite's own; whether the table and its columns
    exist is checked against the published tables by bench.leaderboard."""
    raw = _mapping(path, "leaderboard", raw, {"table", "columns", "rows", "checkpoint_rows"}, ("table",))
    table = raw["table"]
    if not isinstance(table, str) or not _NAME_RE.match(table):
        raise _err(path, "leaderboard.table", f"must be a published table's name (leaderboards/published/<table>.csv), "
                                              f"got {table!r}")

    def subset_of(where: str, value: Any) -> str | None:
        if value is not None and value not in subsets:
            raise _err(path, where, f"{value!r} is not one of this suite's subsets {subsets}")
        return value

    columns: dict[str, ColumnSource] = {}
    given = raw.get("columns") or {}
    if not isinstance(given, dict):
        raise _err(path, "leaderboard.columns", f"must map published column headers to {{metric, subset}}, got {given!r}")
    for header, src in given.items():
        where = f"leaderboard.columns.{header}"
        src = _mapping(path, where, src, {"metric", "subset"})
        if "metric" in src and src["metric"] not in metrics:
            raise _err(path, f"{where}.metric", f"{src['metric']!r} is not in this suite's metrics list")
        columns[str(header)] = ColumnSource(metric=src.get("metric"), subset=subset_of(f"{where}.subset",
                                                                                       src.get("subset")))
    rows = raw.get("rows") or {}
    if not isinstance(rows, dict):
        raise _err(path, "leaderboard.rows", f"must map published row subsets to results subsets, got {rows!r}")
    rows = {str(k): subset_of(f"leaderboard.rows.{k}", v) for k, v in rows.items()}
    labels = raw.get("checkpoint_rows") or {}
    if labels:
        labels = _mapping(path, "leaderboard.checkpoint_rows", labels, {"system", "subset"})
        if checkpoints is None:
            raise _err(path, "leaderboard.checkpoint_rows", "needs a 'checkpoints' block (the entries it labels)")
        for entry in (e for entries in checkpoints.scales.values() for e in entries):
            for key, template in labels.items():
                try:
                    str(template).format(**entry)
                except (KeyError, IndexError, ValueError) as e:
                    raise _err(path, f"leaderboard.checkpoint_rows.{key}",
                               f"{template!r} does not fit checkpoint {entry['name']!r} ({type(e).__name__}: {e})"
                               ) from None
    return LeaderboardMap(table=table, columns=columns, rows=rows, checkpoint_rows=dict(labels))


def load_spec(path: str | Path) -> SuiteSpec:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError(f"{path}: cannot read suite file ({e})") from e
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML ({e})") from e
    return parse_spec(raw, path)
