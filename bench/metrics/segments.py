"""Per-segment scores of timed composition: each segment of the output, cut at the prompt's
boundaries, is scored against that segment's caption; an item's score is the mean over its
segments, the metric the mean over items.

- ``clap-seg@laion-music-speech`` (paper protocol: the UNISON paper's "per-segment CLAP").
- ``presence-seg@yamnet`` (offline): YAMNet probability of the segment caption's classes, with
  the caption -> class rule of ``presence@yamnet``; segments whose caption matches no class are
  skipped, items with no matched segment are not applicable.
"""
from __future__ import annotations

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats, take
from bench.metrics.similarity import cosine


class SegmentCLAP(Metric):
    name = "clap-seg"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str, variant: str, paper_protocol: bool = False):
        self.variant = variant
        self.paper_protocol = paper_protocol
        self.needs = {"gen": extractor}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        rows = role_feats(feats, "gen", len(items))
        per_item: list[float | None] = []
        na: list[int] = []
        for i, item in enumerate(items):
            if not item.segments:
                na.append(i)
                per_item.append(None)
                continue
            what = f"{self.key} item {item.id}"
            audio, text = take(rows[i], "audio_embedding", what), take(rows[i], "text_embedding", what)
            if audio is None or text is None:
                per_item.append(None)
                continue
            if len(audio) != len(item.segments):
                raise ValueError(f"{what}: {len(audio)} segment embeddings for {len(item.segments)} segments")
            per_item.append(float(np.mean([cosine(t, a) for t, a in zip(text, audio)])))
        return mean_result(per_item, na, what=self.key)


class SegmentPresence(Metric):
    name = "presence-seg"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str = "yamnet-16k-segments", variant: str = "yamnet"):
        self.variant = variant
        self.needs = {"gen": extractor}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        from bench.metrics.presence import CAPTION_RULE_VERSION, EventPresence, caption_classes

        names = EventPresence().class_names
        rows = role_feats(feats, "gen", len(items))
        per_item: list[float | None] = []
        na: list[int] = []
        for i, item in enumerate(items):
            classes = [caption_classes(s.get("caption") or "", names) for s in item.segments]
            if not any(classes):
                na.append(i)
                per_item.append(None)
                continue
            probs = take(rows[i], "probs", f"{self.key} item {item.id}")
            if probs is None:
                per_item.append(None)
                continue
            probs = np.asarray(probs, dtype=np.float64)  # (n_seg, 521)
            if probs.shape != (len(item.segments), len(names)):
                raise ValueError(f"{self.key} item {item.id}: segment scores of shape {probs.shape}")
            per_item.append(float(np.mean([probs[s, c].max() for s, c in enumerate(classes) if c])))
        return mean_result(per_item, na, {"rule_version": CAPTION_RULE_VERSION}, what=self.key)


def clap_seg_music_speech() -> SegmentCLAP:
    return SegmentCLAP("laion-clap-music-speech-segments", "laion-music-speech", paper_protocol=True)


def presence_seg_yamnet() -> SegmentPresence:
    return SegmentPresence()
