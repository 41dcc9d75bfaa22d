"""Lazy registries: suites, systems, metrics and extractors resolved by name.

Catalogs map a name to ``"module:factory"`` (or, in tests, directly to a callable). Nothing is
imported until a name is resolved, so a heavy evaluator costs nothing until a metric asks for it.
The catalog dicts are read at every lookup, so lines added to them (or monkeypatched in tests)
are seen immediately.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
from pathlib import Path
from typing import Any, Callable, Mapping

SUITES_ENV = "UNISON_BENCH_SUITES"  # extra suite folders, os.pathsep-separated


class RegistryError(KeyError):
    """An unknown name, or a catalog entry that cannot be imported."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


def unknown_name_message(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    listing = ", ".join(sorted(known)) if known else "(none registered)"
    return f"unknown {kind} {name!r}.{hint} Registered {kind}s: {listing}"


def import_target(target: str | Callable[..., Any], what: str) -> Callable[..., Any]:
    """Import ``"package.module:attr"`` (or pass a callable through)."""
    if callable(target):
        return target
    if not isinstance(target, str) or ":" not in target:
        raise RegistryError(f"{what}: catalog entry {target!r} must look like 'package.module:factory'")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise RegistryError(f"{what}: cannot import module {module_name!r} ({e})") from e
    try:
        obj = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError as e:
        raise RegistryError(f"{what}: module {module_name!r} has no attribute {attr!r}") from e
    if not callable(obj):
        raise RegistryError(f"{what}: {target!r} is not callable")
    return obj


class CatalogRegistry:
    """Names -> factories, read lazily from a catalog module's dict (e.g. bench.metrics.catalog:METRICS)."""

    def __init__(self, kind: str, catalog_module: str, attr: str):
        self.kind = kind
        self._module = catalog_module
        self._attr = attr
        self._instances: dict[str, Any] = {}

    def entries(self) -> Mapping[str, str | Callable[..., Any]]:
        return getattr(importlib.import_module(self._module), self._attr)

    def names(self) -> list[str]:
        return sorted(self.entries())

    def factory(self, name: str) -> Callable[..., Any]:
        entries = self.entries()
        if name not in entries:
            raise RegistryError(unknown_name_message(self.kind, name, list(entries)))
        return import_target(entries[name], f"{self.kind} {name!r}")

    def create(self, name: str, **kwargs: Any) -> Any:
        """A fresh instance from the factory."""
        return self.factory(name)(**kwargs)

    def get(self, name: str) -> Any:
        """One shared instance per name (and per catalog entry, so a changed entry is re-imported)."""
        target = self.entries().get(name)
        memo_key = f"{name}|{target!r}"
        if memo_key not in self._instances:
            self._instances[memo_key] = self.create(name)
        return self._instances[memo_key]

    def clear(self) -> None:
        self._instances.clear()


SYSTEMS = CatalogRegistry("system", "bench.systems.catalog", "SYSTEMS")
METRICS = CatalogRegistry("metric", "bench.metrics.catalog", "METRICS")
EXTRACTORS = CatalogRegistry("extractor", "bench.extractors.catalog", "EXTRACTORS")


def create_system(spec: str, args: Mapping[str, str] | None = None) -> Any:
    """A system from ``name`` or ``name:<arg>``, plus keyword arguments (``--system-arg k=v``).

    ``name`` must be in the systems catalog. ``name:<arg>`` (e.g. ``voice:flite-slt``,
    ``unison:/ckpts/d24.safetensors``) passes ``<arg>`` as the factory's first positional argument,
    unless the whole string is itself a catalog name."""
    args = dict(args or {})
    entries = SYSTEMS.entries()
    name, arg = spec, None
    if spec not in entries and ":" in spec:
        name, _, arg = spec.partition(":")
        if not arg:
            raise RegistryError(f"system {spec!r}: nothing after ':'; use {name}:<argument>")
    factory = SYSTEMS.factory(name)
    try:
        return factory(arg, **args) if arg is not None else factory(**args)
    except TypeError as e:  # a factory that takes no such argument
        given = ([repr(arg)] if arg is not None else []) + [f"{k}={v!r}" for k, v in args.items()]
        raise RegistryError(f"system {name!r} does not accept the arguments {', '.join(given)} ({e})") from e


class SystemPool:
    """One system instance per (system, arguments), for runs made in turn: the runner configures it
    anew for each run, and whatever it loads lazily (a checkpoint's LLM, VAE and vocoder) loads
    once for all of them instead of once per run."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def get(self, spec: str, args: Mapping[str, str] | None = None) -> Any:
        key = (spec, tuple(sorted((args or {}).items())))
        if key not in self._made:
            self._made[key] = create_system(spec, args)
        return self._made[key]


def parse_system_args(pairs: list[str] | None) -> dict[str, str]:
    """``["ckpt=/a.safetensors", "steps=10"]`` -> dict; values stay strings (systems convert)."""
    out: dict[str, str] = {}
    for p in pairs or []:
        key, eq, value = p.partition("=")
        if not eq or not key.strip():
            raise RegistryError(f"--system-arg {p!r} must look like key=value (e.g. ckpt=/path/model.safetensors)")
        out[key.strip()] = value
    return out


def suite_dirs(extra: list[str | Path] | None = None) -> list[Path]:
    """Where suite YAML files are looked for: explicit folders, $UNISON_BENCH_SUITES, the suites package."""
    dirs: list[Path] = [Path(p) for p in (extra or [])]
    env = os.environ.get(SUITES_ENV)
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs.append(shipped_suites_dir())
    return dirs


def shipped_suites_dir() -> Path:
    """The folder of the ``suites`` package, which ships the suite YAML files. Located, not imported:
    the harness runs a suite's builder only when a suite file names it."""
    spec = importlib.util.find_spec("suites")
    if spec is None or not spec.submodule_search_locations:
        raise RegistryError("the suites package is not installed; install this project (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations)))


def suite_files(extra: list[str | Path] | None = None) -> dict[str, Path]:
    """Suite name (the YAML file stem) -> path. Earlier folders win on a name clash."""
    found: dict[str, Path] = {}
    for d in suite_dirs(extra):
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.yaml")):
            found.setdefault(p.stem, p)
    return found


def find_suite(name_or_path: str | Path, extra: list[str | Path] | None = None) -> Path:
    """A suite by registered name, or a path to its YAML file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise RegistryError(f"suite file {str(p)!r} does not exist")
        return p
    files = suite_files(extra)
    if str(name_or_path) not in files:
        raise RegistryError(unknown_name_message("suite", str(name_or_path), list(files)))
    return files[str(name_or_path)]


def load_suite(name_or_path: str | Path, extra: list[str | Path] | None = None):
    """Resolve and parse a suite (bench.spec.SuiteSpec)."""
    from bench.spec import load_spec

    return load_spec(find_suite(name_or_path, extra))


def spec_order(spec) -> tuple[int, int, str]:
    """Sort key of suites (reports, the embedded default): by the YAML's ``order``, then the
    suites without one, each by name."""
    return (0, spec.order, spec.name) if spec.order is not None else (1, 0, spec.name)


def suite_order(name: str, extra: list[str | Path] | None = None) -> tuple[int, int, str]:
    """``spec_order`` of a suite given by name; one this machine does not have (or cannot read)
    sorts after all the others."""
    from bench.spec import SpecError

    try:
        return spec_order(load_suite(name, extra))
    except (RegistryError, SpecError):
        return (2, 0, name)
