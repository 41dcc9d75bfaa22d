"""Cosine-similarity metrics: speaker similarity (SIM) and CLAP text-audio score.

SIM: cosine(speaker embedding of the generated audio, speaker embedding of the item's reference
prompt), mean over items (seed-tts-eval's WavLM-large + ECAPA-TDNN protocol; offline: Resemblyzer).
CLAP: cosine(text embedding of the caption, audio embedding of the clip), mean over items; the
same metric on the target audio is "GT CLAP" (the ceiling of the test set).
"""
from __future__ import annotations

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, as_vector, mean_result, role_feats, take


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity in float64; a zero vector is an error (no direction), not 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cosine of vectors of different shapes {a.shape} and {b.shape}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        raise FloatingPointError("cosine similarity of a zero vector")
    return float(np.clip(a @ b / (na * nb), -1.0, 1.0))


class SIM(Metric):
    """Speaker similarity of the output to the reference prompt (zero-shot TTS items)."""

    name = "sim"
    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str, variant: str | None = None, paper_protocol: bool = False):
        self.extractor = extractor
        self.variant = variant or extractor
        self.paper_protocol = paper_protocol
        self.needs = {"gen": extractor, "reference": extractor}

    def wants(self, item: Item, role: str) -> bool:
        return item.reference is not None  # no speaker prompt (pure TTS): not applicable

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        gen = role_feats(feats, "gen", len(items))
        ref = role_feats(feats, "reference", len(items))
        per_item: list[float | None] = []
        na: list[int] = []
        for i, item in enumerate(items):
            if not self.wants(item, "gen"):
                na.append(i)
                per_item.append(None)
                continue
            what = f"{self.key} item {item.id}"
            g, r = take(gen[i], "embedding", what), take(ref[i], "embedding", what + " reference")
            per_item.append(None if g is None or r is None
                            else cosine(as_vector(g, what), as_vector(r, what)))
        return mean_result(per_item, na, what=self.key)


class CLAPScore(Metric):
    """cosine(text_embedding, audio_embedding) of one role's audio ("gen", or "target" for GT CLAP)."""

    version = "1"
    higher_is_better = True

    def __init__(self, extractor: str, variant: str, role: str = "gen", paper_protocol: bool = False):
        if role not in ("gen", "target"):
            raise ValueError(f"CLAP role must be 'gen' or 'target', got {role!r}")
        self.name = "clap" if role == "gen" else "clap-gt"
        self.role = role
        self.extractor = extractor
        self.variant = variant
        self.paper_protocol = paper_protocol
        self.needs = {role: extractor}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        rows = role_feats(feats, self.role, len(items))
        per_item: list[float | None] = []
        na: list[int] = []
        for i, item in enumerate(items):
            if self.role == "target" and item.target is None:
                na.append(i)
                per_item.append(None)
                continue
            what = f"{self.key} item {item.id}"
            a = take(rows[i], "audio_embedding", what)
            t = take(rows[i], "text_embedding", what)
            per_item.append(None if a is None or t is None
                            else cosine(as_vector(t, what), as_vector(a, what)))
        return mean_result(per_item, na, what=self.key)


def sim_wavlm_ecapa() -> SIM:
    return SIM("wavlm-ecapa", paper_protocol=True)


def sim_resemblyzer() -> SIM:
    return SIM("resemblyzer")


def clap_music_speech() -> CLAPScore:
    return CLAPScore("laion-clap-music-speech", "laion-music-speech", paper_protocol=True)


def clap_gt_music_speech() -> CLAPScore:
    return CLAPScore("laion-clap-music-speech", "laion-music-speech", role="target", paper_protocol=True)


def clap_630k() -> CLAPScore:
    return CLAPScore("laion-clap-630k", "laion-630k")


def clap_gt_630k() -> CLAPScore:
    return CLAPScore("laion-clap-630k", "laion-630k", role="target")
