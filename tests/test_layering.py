"""The floors of the project, checked on every module's imports (docs/architecture.md).

    core     unison/core/      imports no other project module: neither the model nor the harness
    model    unison/ (rest)    imports unison only: never bench or suites
    harness  bench/            imports bench and unison.core; the model only in bench/systems/unison.py
                               (the one adapter, through unison's public pipeline and checkpoint API)
             bench/metrics/, bench/extractors/: audio and text only - no unison module but unison.core,
                               and no system (bench.systems)
    suites   suites/           imports suites, bench and unison.core; never the model

An import is any ``import`` / ``from ... import`` statement (at module level or inside a function),
the string argument of ``importlib.import_module(...)`` / ``__import__(...)``, a registry catalog
entry written as ``"package.module:factory"``, and any string that is exactly the dotted name of a
project module (a lazy-import table's entry): what is imported by name is seen too.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = ("unison", "bench", "suites")
CATALOG_ENTRY = re.compile(r"^((?:unison|bench|suites)(?:\.\w+)*):[\w.]+$")  # "package.module:factory"
MODULE_NAME = re.compile(r"^(?:unison|bench|suites)(?:\.\w+)+$")  # a lazy-import table's "package.module"
DYNAMIC = {"import_module", "__import__"}

# Places outside bench/systems that read a UNISON checkpoint directly (none today: keep it so). They belong behind
# bench/systems/unison.py; each entry must still exist (a stale entry fails the test).
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every project import of one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this file's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [(node.lineno, f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base) for a in node.names]
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
            if name in DYNAMIC and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = CATALOG_ENTRY.match(node.value)
            if m:
                found.append((node.lineno, m.group(1)))
            elif MODULE_NAME.match(node.value) and _is_module(node.value):
                found.append((node.lineno, node.value))
    return sorted({(line, mod) for line, mod in found if mod.split(".")[0] in PROJECT})


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (REPO / rel).with_suffix(".py").is_file() or (REPO / rel / "__init__.py").is_file()


def floor_of(rel: str) -> str:
    if rel.startswith("unison/core/"):
        return "core"
    return rel.split("/")[0]


def broken_rule(rel: str, mod: str) -> str | None:
    """Why importing ``mod`` from the file ``rel`` breaks a floor rule, or None."""
    top, in_core = mod.split(".")[0], mod == "unison.core" or mod.startswith("unison.core.")
    floor = floor_of(rel)
    if floor == "core" and not in_core:
        return "unison/core imports no other project module"
    if floor == "unison" and top in ("bench", "suites"):
        return "the model never imports the harness or the suites"
    if floor == "suites" and top == "unison" and not in_core:
        return "suites use bench and unison.core, never the model"
    if floor == "bench":
        if top == "suites":
            return "bench does not import the suites (they are found as data, named in suite files)"
        if rel.startswith(("bench/metrics/", "bench/extractors/")):
            if top == "unison" and not in_core:
                return "metrics and extractors know audio and text, not the model"
            if mod == "bench.systems" or mod.startswith("bench.systems."):
                return "metrics and extractors do not use systems"
        if top == "unison" and not in_core and rel != "bench/systems/unison.py" \
                and (rel, mod) not in KNOWN_EXCEPTIONS:
            return "bench reaches the model only through bench/systems/unison.py"
    return None


def project_files() -> list[Path]:
    return sorted(p for top in PROJECT for p in (REPO / top).rglob("*.py"))


def test_every_project_file_is_read():
    rels = {p.relative_to(REPO).as_posix() for p in project_files()}
    assert {"unison/core/files.py", "bench/run/pipeline.py", "suites/_mix.py"} <= rels


def test_imports_respect_the_floors():
    broken = []
    for path in project_files():
        rel = path.relative_to(REPO).as_posix()
        for line, mod in imports(path):
            why = broken_rule(rel, mod)
            if why:
                broken.append(f"{rel}:{line} imports {mod}: {why}")
    assert not broken, "\n".join(broken)


def test_known_exceptions_are_still_there():
    seen = {(p.relative_to(REPO).as_posix(), mod) for p in project_files() for _, mod in imports(p)}
    stale = [f"{rel} no longer imports {mod}: remove it from KNOWN_EXCEPTIONS" for rel, mod in KNOWN_EXCEPTIONS
             if (rel, mod) not in seen]
    assert not stale, "\n".join(stale)


BREAKS = {  # file -> modules it may not import
    "unison/core/audio.py": ["unison.config", "bench.cache"],
    "unison/train/vae_fit.py": ["bench.metrics.asr", "suites._mix"],
    "bench/extractors/yamnet.py": ["unison.weights", "bench.systems.unison"],
    "bench/testset.py": ["unison.sampler", "suites"],
    "bench/systems/voices.py": ["unison.pipeline"],
    "suites/_pools.py": ["unison.data.sources.voices"],
}
KEEPS = {  # file -> modules it may import
    "unison/core/audio.py": ["unison.core.files"],
    "unison/train/vae_fit.py": ["unison.audio.vae", "unison.core.audio"],
    "bench/extractors/yamnet.py": ["unison.core.weights", "bench.extractors.base"],
    "bench/systems/unison.py": ["unison.pipeline", "unison.checkpoint"],
    "suites/_pools.py": ["unison.core.sources.voices", "bench.item"],
}


def test_the_rules_themselves():
    assert all(broken_rule(rel, mod) for rel, mods in BREAKS.items() for mod in mods)
    assert not any(broken_rule(rel, mod) for rel, mods in KEEPS.items() for mod in mods)


def test_string_imports_are_seen(tmp_path, monkeypatch):
    src = tmp_path / "bench" / "x.py"
    src.parent.mkdir()
    (tmp_path / "unison").mkdir()
    (tmp_path / "unison" / "flow.py").write_text("")
    src.write_text('import importlib\nimportlib.import_module("unison.sampler")\n__import__("suites.t2as")\n'
                   'ENTRY = "unison.pipeline:UnisonPipeline"\nLAZY = {"x": "unison.flow", "y": "unison.nothing"}\n')
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert sorted(mod for _, mod in imports(src)) == ["suites.t2as", "unison.flow", "unison.pipeline", "unison.sampler"]
