"""Per-item scores read from one feature of a learned quality predictor (DNSMOS, UTMOS,
Audiobox Aesthetics): value = mean over items, per-item scores kept for paired bootstrap /
compare. An extractor that cannot score a clip returns ``{"error": reason}``; that item fails
with the reason in the cell's ``extra["item_errors"]``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats


class FeatureScore(Metric):
    def __init__(self, name: str, variant: str, extractor: str, feature: str, *, higher_is_better: bool = True,
                 paper_protocol: bool = False, version: str = "1", role: str = "gen",
                 protocol: dict[str, Any] | None = None):
        self.name, self.variant, self.version = name, variant, version
        self.extractor, self.feature, self.role = extractor, feature, role
        self.higher_is_better, self.paper_protocol = higher_is_better, paper_protocol
        self.needs = {role: extractor}
        self.protocol = {"extractor": extractor, "feature": feature, "aggregate": "mean over items",
                         **(protocol or {})}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        rows = role_feats(feats, self.role, len(items))
        per: list[float | None] = []
        errors: dict[str, str] = {}
        for item, row in zip(items, rows):
            if row is None:
                per.append(None)
                continue
            if "error" in row:
                errors[item.id] = str(row["error"])
                per.append(None)
                continue
            if self.feature not in row:
                raise KeyError(f"{self.key}: extractor {self.extractor} gave no {self.feature!r} (keys {sorted(row)})")
            v = float(np.asarray(row[self.feature], dtype=np.float64).reshape(()))
            per.append(v)
        extra: dict[str, Any] = {"protocol": self.protocol}
        if errors:
            extra["item_errors"] = errors
        return mean_result(per, [], extra, what=self.key)


_DNSMOS = {"model": "speechmos 0.0.1.1 DNSMOS (ONNX in the wheel)", "sample_rate": 16000,
           "input": "mean of channels, soxr HQ to 16 kHz; samples outside [-1, 1] fail the item"}


def dnsmos_sig() -> FeatureScore:
    return FeatureScore("dnsmos-sig", "p835-16k", "dnsmos-speechmos", "sig", protocol=_DNSMOS)


def dnsmos_bak() -> FeatureScore:
    return FeatureScore("dnsmos-bak", "p835-16k", "dnsmos-speechmos", "bak", protocol=_DNSMOS)


def dnsmos_ovrl() -> FeatureScore:
    return FeatureScore("dnsmos-ovrl", "p835-16k", "dnsmos-speechmos", "ovrl", protocol=_DNSMOS)


def dnsmos_p808() -> FeatureScore:
    return FeatureScore("dnsmos", "p808-16k", "dnsmos-speechmos", "p808", protocol=_DNSMOS)
