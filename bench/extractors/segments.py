"""Per-segment features for timed composition: cut each clip at the prompt's stated boundaries
and run an inner extractor on every piece (one batch for all pieces of all clips).

The side input is the item's segment list (start, end, caption), so the cache key changes when the
boundaries or captions do. Each fixed-shape output of the inner extractor is stacked over
segments: ``audio_embedding`` (n_seg, D), ``probs`` (n_seg, K)... (ragged per-frame outputs are
dropped). A segment is cut as samples
[round(start*sr), round(end*sr)) of the clip, clamped to its length; no padding here (the inner
extractor applies its own crop/pad rule, recorded in its signature).
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from bench.extractors.base import Extractor
from bench.item import Item

SEGMENT_RULE = "samples [round(start*sr), round(end*sr)) clamped to the clip; no padding; v1"


class SegmentExtractor(Extractor):
    def __init__(self, inner: Extractor, name: str):
        self.inner = inner
        self.name = name
        self.sample_rate = inner.sample_rate
        self.batch_size = max(1, inner.batch_size // 2)

    def available(self) -> str | None:
        return self.inner.available()

    def signature(self) -> dict[str, Any]:
        return {"inner": self.inner.name, "inner_signature": self.inner.signature(), "segments": SEGMENT_RULE}

    def weights(self) -> dict[str, str]:
        return self.inner.weights() if hasattr(self.inner, "weights") else {}

    def side_input(self, item: Item, role: str) -> str | None:
        if not item.segments:
            return None
        return json.dumps([[float(s["start"]), float(s["end"]), s.get("caption") or ""] for s in item.segments])

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        pieces: list[np.ndarray] = []
        piece_sides: list[str | None] = []
        owners: list[int] = []
        for i, (wave, side) in enumerate(zip(waves, sides)):
            if side is None:
                raise ValueError(f"{self.name}: a clip without segments was sent to a per-segment extractor")
            for start, end, caption in json.loads(side):
                a = min(len(wave), max(0, round(start * self.sample_rate)))
                b = min(len(wave), max(a, round(end * self.sample_rate)))
                if b - a < self.sample_rate // 10:
                    raise ValueError(f"{self.name}: segment [{start}, {end}] s has {b - a} samples "
                                     f"in a {len(wave) / self.sample_rate:.2f} s clip (needs >= 0.1 s)")
                pieces.append(np.ascontiguousarray(wave[a:b]))
                piece_sides.append(caption or None)
                owners.append(i)
        inner_sides = [self.inner_side(c) for c in piece_sides]
        feats = self.inner.extract(pieces, inner_sides) if pieces else []
        out: list[dict[str, Any]] = []
        for i in range(len(waves)):
            mine = [f for f, o in zip(feats, owners) if o == i]
            # Stack per-clip outputs (embeddings, class scores); ragged ones such as per-frame
            # embeddings of segments of different lengths are dropped, not padded.
            keys = [k for k, v in mine[0].items() if isinstance(v, np.ndarray)
                    and all(np.shape(f[k]) == v.shape for f in mine)] if mine else []
            out.append({k: np.stack([np.asarray(f[k]) for f in mine]) for k in keys})
        return out

    def inner_side(self, caption: str | None) -> str | None:
        """The inner extractor's side input for one piece: its caption (what CLAP embeds)."""
        return caption


def clap_music_speech_segments() -> SegmentExtractor:
    from bench.extractors.laion_clap import music_speech

    return SegmentExtractor(music_speech(), "laion-clap-music-speech-segments")


def yamnet_segments() -> SegmentExtractor:
    from bench.extractors.yamnet import build

    return SegmentExtractor(build(), "yamnet-16k-segments")
