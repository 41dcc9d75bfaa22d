"""timed_clap: sound events at stated time intervals, sequential and overlapping.

Each item has 2-3 segments (sequential) or 2 segments that overlap by at least ``min_overlap_s``
(overlapping), start/end on a 0.1 s grid, each at least ``min_segment_s`` long. A segment's audio
is a real clip repeated to fill exactly [start, end), faded, RMS -23 dBFS; target = the sum (one
headroom gain, stems on the PCM_16 grid). The instruction states every segment's caption and times
("A dog from 0.5 to 2 seconds; a bell from 2.5 to 4.5 seconds."); item.segments holds
{start, end, caption}; item.caption joins the captions (overall CLAP). Subsets: sequential,
overlapping.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.item import Item
from suites import _instructions as ins
from suites._compose import write_mixtures
from suites._mix import loop_faded
from suites._pools import caption_phrase, pick, sound_pool
from unison.core.signal import fade_raised_cosine, normalize_rms, place, seconds_to_samples

SUITE = "timed_clap"
SEGMENT_DBFS = -23.0


def grid(t: float) -> float:
    return round(float(t), 1)


def sequential_layout(rng: np.random.Generator, seconds: float, n_seg: int, min_len: float) -> list[tuple[float, float]]:
    """Non-overlapping segments, one per equal slot, each with a seeded inset from its slot's edges."""
    slot = seconds / n_seg
    out = []
    for i in range(n_seg):
        lo, hi = i * slot, (i + 1) * slot
        start = grid(lo + rng.uniform(0.0, 0.25) * slot)
        end = grid(hi - rng.uniform(0.0, 0.2) * slot)
        if end - start < min_len:
            raise ValueError(f"{SUITE}: {seconds} s with {n_seg} segments leaves less than {min_len} s per segment")
        out.append((start, min(end, grid(seconds))))
    return out


def overlapping_layout(rng: np.random.Generator, seconds: float, min_len: float, min_overlap: float
                       ) -> list[tuple[float, float]]:
    """Two segments: the second starts inside the first, overlapping it by >= min_overlap."""
    s1 = grid(rng.uniform(0.0, 0.15) * seconds)
    e1 = grid(rng.uniform(0.55, 0.7) * seconds)
    s2 = grid(rng.uniform(0.3, 0.45) * seconds)
    e2 = grid(seconds - rng.uniform(0.0, 0.1) * seconds)
    if e1 - s2 < min_overlap or min(e1 - s1, e2 - s2) < min_len:
        raise ValueError(f"{SUITE}: {seconds} s is too short for overlapping segments")
    return [(s1, e1), (s2, e2)]


def segment_stem(clip, start: float, end: float, n_samples: int, sr: int) -> np.ndarray:
    a, b = seconds_to_samples(start, sr), seconds_to_samples(end, sr)
    body = fade_raised_cosine(loop_faded(clip.load(sr), b - a, sr), sr, 0.03)
    return place(normalize_rms(body, SEGMENT_DBFS, clip.id), n_samples, a)


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    seconds = float(params["seconds"])
    n_samples = seconds_to_samples(seconds, sr)
    min_len = float(params.get("min_segment_s", 1.0))
    min_overlap = float(params.get("min_overlap_s", 0.5))
    pool = sound_pool(params, SUITE)
    for kind in ("sequential", "overlapping"):
        sel = out.rng(f"select-{kind}")
        for k in range(int(params[f"n_{kind}"])):
            item_id = f"{kind[:3]}-{k:03d}"
            rng = out.rng(item_id)
            if kind == "sequential":
                layout = sequential_layout(rng, seconds, int(rng.integers(2, int(params.get("max_segments", 3)) + 1)),
                                           min_len)
            else:
                layout = overlapping_layout(rng, seconds, min_len, min_overlap)
            clips = pick(sel, pool, len(layout), "sound clips")
            segments = tuple({"start": s, "end": e, "caption": c.caption.strip().rstrip(".")}
                             for (s, e), c in zip(layout, clips))
            stems = {f"seg{i}": segment_stem(c, s, e, n_samples, sr) for i, ((s, e), c) in enumerate(zip(layout, clips))}
            mixes, stem_rels = write_mixtures(out, item_id, stems, {"target": sorted(stems)}, sr)
            caption = " and ".join([segments[0]["caption"]] + [caption_phrase(s["caption"]) for s in segments[1:]])
            out.add_item(Item(id=item_id, task="timed", instruction=ins.timed(list(segments)), seconds=seconds,
                              seed=out.item_seed(item_id), target=mixes["target"], caption=caption,
                              segments=segments, subset=kind,
                              meta={"stems": stem_rels, "clips": [c.id for c in clips]}))
