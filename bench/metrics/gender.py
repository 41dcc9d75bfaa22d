"""Gender accuracy (gender-controlled TTS). The paper names no classifier: offline we pin
voice2gender 0.1.1 (bench/extractors/gender.py, threshold 0.5 on its female probability).
Per item: 1 if the predicted gender equals ``item.gender``, else 0; items without a gender are
not applicable. extra holds the accuracy split by the requested gender."""
from __future__ import annotations

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats, take

_CANON = {"male": "male", "m": "male", "man": "male", "female": "female", "f": "female", "woman": "female"}


def canonical_gender(value: str, what: str) -> str:
    key = value.strip().lower()
    if key not in _CANON:
        raise ValueError(f"{what}: gender {value!r} is not one of {sorted(_CANON)}")
    return _CANON[key]


class GenderAccuracy(Metric):
    name = "gender-acc"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str = "voice2gender", variant: str = "voice2gender"):
        self.variant = variant
        self.needs = {"gen": extractor}

    def wants(self, item: Item, role: str) -> bool:
        return item.gender is not None

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        rows = role_feats(feats, "gen", len(items))
        per_item: list[float | None] = []
        na: list[int] = []
        by_gender: dict[str, list[float]] = {"male": [], "female": []}
        for i, (item, row) in enumerate(zip(items, rows)):
            if not self.wants(item, "gen"):
                na.append(i)
                per_item.append(None)
                continue
            want = canonical_gender(item.gender, f"item {item.id}")
            got = take(row, "gender", self.key)
            if got is None:
                per_item.append(None)
                continue
            hit = float(canonical_gender(got, f"{self.key} output for {item.id}") == want)
            per_item.append(hit)
            by_gender[want].append(hit)
        extra = {f"acc_{g}": (sum(v) / len(v) if v else None) for g, v in by_gender.items()}
        extra.update({f"n_{g}": len(v) for g, v in by_gender.items()})
        return mean_result(per_item, na, extra, what=self.key)


def gender_acc_voice2gender() -> GenderAccuracy:
    return GenderAccuracy()
