"""Which weights files exist for bench and the model, and which metric variants need each one.

Read from the catalogs: every metric variant's extractors (bench.metrics.catalog), every extractor
(bench.extractors.catalog, also those no metric uses yet) and the model's own files (VAE, vocoder,
text LLM, through bench/systems/unison.py). A file belongs to protocol ``paper`` when a
paper-protocol variant needs it, ``offline`` when an offline variant does; the model's files are
under ``model``.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from unison.core.weights import WeightSpec

PROTOCOLS = ("paper", "offline", "all")


def specs_of(extractor: Any) -> list[WeightSpec]:
    """The WeightSpecs an extractor resolves: its ``spec`` (or its inner extractor's, for per-segment
    wrappers), else those its module declares (extractors with one module-level WEIGHTS)."""
    seen, node = [], extractor
    while node is not None:
        spec = getattr(node, "spec", None)
        if isinstance(spec, WeightSpec):
            return [spec]
        seen.append(node)
        node = getattr(node, "inner", None)
    out: list[WeightSpec] = []
    for obj in seen:
        module = sys.modules.get(type(obj).__module__)
        out += [v for v in vars(module).values() if isinstance(v, WeightSpec)] if module else []
    return out


def extractor_specs(name: str) -> list[WeightSpec]:
    from bench import registry

    return specs_of(registry.EXTRACTORS.create(name))


def metric_specs(key: str) -> tuple[Any, list[WeightSpec]]:
    """(the metric variant, the WeightSpecs its extractors need); raises what the catalogs raise."""
    from bench import registry

    metric = registry.METRICS.create(key)
    specs: list[WeightSpec] = []
    for ext_name in dict.fromkeys((metric.needs or {}).values()):
        specs += extractor_specs(ext_name)
    return metric, specs


@dataclass
class Listed:
    """One weights file and who uses it."""

    spec: WeightSpec
    metrics: list[str] = field(default_factory=list)  # metric variants (name@variant) that need it
    protocols: set[str] = field(default_factory=set)  # "paper", "offline", "model"
    extractors: list[str] = field(default_factory=list)

    def in_protocol(self, protocol: str) -> bool:
        return protocol == "all" or protocol in self.protocols


@dataclass
class Inventory:
    files: dict[str, Listed]  # spec name -> entry, in catalog order
    problems: list[str]  # catalog entries that could not be read (named, with the reason)

    def select(self, protocol: str = "all", names: list[str] | None = None) -> list[Listed]:
        """The entries of ``protocol``, optionally only ``names``; an unknown name is a ValueError."""
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
        if names:
            unknown = [n for n in names if n not in self.files]
            if unknown:
                raise ValueError(f"unknown weights {', '.join(map(repr, unknown))}; known: "
                                 f"{', '.join(sorted(self.files))}")
            chosen = [self.files[n] for n in dict.fromkeys(names)]
        else:
            chosen = list(self.files.values())
        return [e for e in chosen if e.in_protocol(protocol)]


def build_inventory(model: bool = True) -> Inventory:
    from bench import registry

    files: dict[str, Listed] = {}
    problems: list[str] = []

    def add(spec: WeightSpec) -> Listed:
        return files.setdefault(spec.name, Listed(spec))

    for key in registry.METRICS.names():
        try:
            metric, specs = metric_specs(key)
        except Exception as e:  # noqa: BLE001 - one unreadable entry must not hide the others
            problems.append(f"metric {key}: {type(e).__name__}: {e}")
            continue
        for spec in specs:
            entry = add(spec)
            entry.metrics.append(key)
            entry.protocols.add("paper" if metric.paper_protocol else "offline")
    for name in registry.EXTRACTORS.names():
        try:
            specs = extractor_specs(name)
        except Exception as e:  # noqa: BLE001
            problems.append(f"extractor {name}: {type(e).__name__}: {e}")
            continue
        for spec in specs:
            entry = add(spec)
            if name not in entry.extractors:
                entry.extractors.append(name)
    if model:
        from bench.systems.unison import model_weight_specs

        try:
            for spec in model_weight_specs():
                add(spec).protocols.add("model")
        except Exception as e:  # noqa: BLE001
            problems.append(f"model weights: {type(e).__name__}: {e}")
    return Inventory(files, problems)
