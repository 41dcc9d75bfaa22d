"""Cells that could not be measured, collapsed: one entry per (metric variant, reason) for the whole
report, naming the weights it needs, the command that fetches them and where it struck.

A paper-protocol variant without its weights is unavailable for every system of every suite that
lists it; repeating that sentence in each cell buried the numbers. The tables keep a short marker
pointing here instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FETCH_COMMAND = "unison-bench weights fetch {name}"


@dataclass
class Entry:
    number: int
    key: str  # name@variant
    reason: str  # in full
    short: str  # its first sentence
    weights: list[str]  # WeightSpec names the reason is about
    where: dict[str, list[str]] = field(default_factory=dict)  # suite (or suite / subset) -> system labels

    @property
    def anchor(self) -> str:
        return f"na-{self.number}"

    @property
    def commands(self) -> list[str]:
        return [FETCH_COMMAND.format(name=n) for n in self.weights]

    def view(self) -> dict[str, Any]:
        return {"number": self.number, "anchor": self.anchor, "key": self.key, "reason": self.reason,
                "short": self.short, "weights": self.weights, "commands": self.commands,
                "where": [{"suite": s, "systems": systems} for s, systems in self.where.items()],
                "n_cells": sum(len(v) for v in self.where.values())}


def weights_for(key: str) -> list[str]:
    """Names of the weights the metric variant's extractors need (from their WeightSpecs), [] when
    the catalogs do not know it or it needs none."""
    from bench.weights.inventory import metric_specs

    try:
        _, specs = metric_specs(key)
    except Exception:  # noqa: BLE001 - a results file from another version: the reason still shows
        return []
    return list(dict.fromkeys(s.name for s in specs))


class Collector:
    """Numbers the distinct (metric, reason) pairs of a report in order of first appearance."""

    def __init__(self, short_reason) -> None:
        self._short = short_reason
        self.entries: dict[tuple[str, str], Entry] = {}
        self._weights: dict[str, list[str]] = {}

    def add(self, key: str, reason: str, suite: str, system: str) -> Entry:
        entry = self.entries.get((key, reason))
        if entry is None:
            if key not in self._weights:
                self._weights[key] = weights_for(key)
            # name only weights the reason is about: a metric failing for another cause fetches nothing
            named = [n for n in self._weights[key] if f"'{n}'" in reason or f" {n} " in f" {reason} "]
            entry = Entry(len(self.entries) + 1, key, reason, self._short(reason), named)
            self.entries[(key, reason)] = entry
        systems = entry.where.setdefault(suite, [])
        if system not in systems:
            systems.append(system)
        return entry

    def views(self) -> list[dict[str, Any]]:
        return [e.view() for e in self.entries.values()]
