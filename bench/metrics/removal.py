"""Speech removal rate (speech-in-scene deletion). The paper names no detector: offline we pin
YAMNet's "Speech" class (bench/extractors/yamnet.py) and call speech removed when the MAX over
0.96 s patches of the Speech sigmoid score is below THRESHOLD (the max, not the mean, so that a
second of leftover speech in a 10 s scene still counts as not removed).

Calibration (this machine, yamnet-16k v1): 64 real speech clips (60 asterisk prompts, 4 flite
voices): speech_prob_max median 0.9996, 5th percentile 0.985, 63/64 >= 0.5 (the miss is a
prompt that is a tone, not speech). 108 tuxpaint stamp sounds: median 0.017, 98/108 < 0.5; the
ones above are sounds that really contain spoken words (the dreidel letters "shin", "hay",
"nun", "gimmel" are spoken; apollo_lander is radio speech). Threshold 0.5 separates them.

Applies to items whose task is in REMOVAL_TASKS; others are not applicable. Per item 1.0 =
removed. extra["mean_speech_prob_max"] is the mean detector score over applicable items.
"""
from __future__ import annotations

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats, take

THRESHOLD = 0.5
SCORE_KEY = "speech_prob_max"
REMOVAL_TASKS = frozenset({"sis_delete"})


class SpeechRemovalRate(Metric):
    name = "removal"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str = "yamnet-16k", variant: str = "yamnet-speech",
                 threshold: float = THRESHOLD):
        self.variant = variant
        self.threshold = threshold
        self.needs = {"gen": extractor}

    def describe(self) -> dict:
        d = super().describe()
        d.update(threshold=self.threshold, score=SCORE_KEY, tasks=sorted(REMOVAL_TASKS))
        return d

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        rows = role_feats(feats, "gen", len(items))
        per_item: list[float | None] = []
        na: list[int] = []
        scores: list[float] = []
        for i, (item, row) in enumerate(zip(items, rows)):
            if item.task not in REMOVAL_TASKS:
                na.append(i)
                per_item.append(None)
                continue
            p = take(row, SCORE_KEY, self.key)
            if p is None:
                per_item.append(None)
                continue
            p = float(p)
            if not np.isfinite(p):
                raise FloatingPointError(f"{self.key}: non-finite speech score for {item.id}")
            scores.append(p)
            per_item.append(float(p < self.threshold))
        extra = {"threshold": self.threshold, "score_key": SCORE_KEY,
                 "mean_speech_prob_max": float(np.mean(scores)) if scores else None}
        return mean_result(per_item, na, extra, what=self.key)


def removal_yamnet_speech() -> SpeechRemovalRate:
    return SpeechRemovalRate()
