"""Event-based metrics of timed composition on REAL sounds (tuxpaint stamps) placed at known
times: YAMNet frame detections, then sed_eval's DCASE event-based F1 and onset/offset errors."""
from __future__ import annotations

import numpy as np
import pytest

from bench.extractors.yamnet_frames import YAMNetFrames
from bench.item import Item
from bench.metrics import events as EV

SR = 16000
DUCK, VACUUM = "animals/birds/duck.ogg", "household/vacuum_cleaner.ogg"
SEGS = ({"start": 0.0, "end": 2.0, "caption": "A duck quacks"},
        {"start": 3.0, "end": 6.0, "caption": "A vacuum cleaner runs"})


@pytest.fixture(scope="module")
def ext():
    y = YAMNetFrames()
    if y.available():
        pytest.skip(y.available())
    return y


def _compose(clips, layout) -> np.ndarray:
    x = 1e-4 * np.random.default_rng(0).standard_normal(6 * SR).astype(np.float32)  # -80 dBFS floor
    for rel, a, b in layout:
        snd = clips.tuxpaint(rel, SR)
        x[int(a * SR):int(b * SR)] += np.resize(snd, int(b * SR) - int(a * SR))
    return x


def _item(i, segs=SEGS):
    return Item(id=f"i{i}", task="timed", instruction="", seconds=6.0, seed=0, segments=tuple(segs))


def test_real_composition_scores_and_swapped_times_fail(ext, clips):
    good = _compose(clips, [(DUCK, 0.0, 2.0), (VACUUM, 3.0, 6.0)])
    swapped = _compose(clips, [(VACUUM, 0.0, 2.0), (DUCK, 3.0, 6.0)])
    rows = ext.extract([good, swapped], [None, None])
    assert rows[0]["frame_probs"].shape == (12, 521) and rows[0]["hop_s"] == pytest.approx(0.48)
    items = [_item(0), _item(1)]
    f1 = EV.event_f1_yamnet().score(items, {"gen": rows})
    on = EV.onset_err_yamnet().score(items, {"gen": rows})
    off = EV.offset_err_yamnet().score(items, {"gen": rows})
    assert f1.per_item == [1.0, 0.0]
    assert f1.extra["corpus_f1"] == pytest.approx(0.5) and f1.extra["dcase"]["percentage_of_length"] == 0.2
    assert on.per_item[0] <= 0.2 and off.per_item[0] <= 0.4  # within the collars
    # Swapped: both detected, at the other event's time: errors of seconds, F1 0.
    assert on.per_item[1] > 1.0
    # Detections of the good clip, checked by hand against the rule.
    names = EV.EventF1().class_names
    ref, est, labels = EV.reference_and_detections(items[0], rows[0], names)
    assert [(e["event_label"], e["onset"]) for e in est] == [("A duck quacks", 0.0), ("A vacuum cleaner runs", pytest.approx(3.12))]


def test_item_scores_are_sed_eval_on_the_detected_lists():
    """The per-item F1 is sed_eval's own, with DCASE's collars (onset 200 ms; offset
    max(200 ms, 20 % of the event)): an offset 0.35 s late is inside the collar of a 2 s event
    (20 % = 0.4 s) and outside that of a 1 s event (max(0.2, 0.2) s)."""
    import dcase_util
    import sed_eval

    def f1(ref, est):
        ev = sed_eval.sound_event.EventBasedMetrics(["x"], t_collar=0.2, percentage_of_length=0.2)
        ev.evaluate(dcase_util.containers.MetaDataContainer(ref), dcase_util.containers.MetaDataContainer(est))
        return EV._f1(ev)

    e = lambda a, b: {"event_label": "x", "onset": a, "offset": b, "filename": "f"}  # noqa: E731
    assert f1([e(0, 2.0)], [e(0.15, 2.35)]) == 1.0  # offset 0.35 <= 0.4 = 20 % of 2 s
    assert f1([e(0, 1.0)], [e(0.15, 1.35)]) == 0.0  # offset 0.35 > max(0.2, 0.2 s)
    assert f1([e(0, 2.0)], [e(0.25, 2.0)]) == 0.0  # onset outside 200 ms


def test_detect_rule_and_bad_items():
    probs = np.zeros((6, 3), np.float32)
    probs[0:2, 1] = 0.9  # patches 0-1
    probs[4:6, 2] = 0.6  # patches 4-5 (last)
    probs[3, 1] = 0.49  # below threshold
    assert EV.detect(probs, [1], 0.48, 3.0) == [(0.0, 1.2)]
    assert EV.detect(probs, [2], 0.48, 3.0) == [(2.16, 3.0)]
    assert EV.detect(probs, [0], 0.48, 3.0) == []
    # Items: no segments -> not applicable; no class in any caption -> not applicable; a failed
    # extraction -> failed; nothing detected -> boundary error is an item failure with a reason.
    names = EV.EventF1().class_names
    rows = [None, {"frame_probs": np.zeros((6, len(names)), np.float32), "hop_s": 0.48, "duration_s": 3.0},
            {"frame_probs": np.zeros((6, len(names)), np.float32), "hop_s": 0.48, "duration_s": 3.0},
            {"frame_probs": np.zeros((6, len(names)), np.float32), "hop_s": 0.48, "duration_s": 3.0}]
    items = [_item(0), Item(id="i1", task="timed", instruction="", seconds=3.0, seed=0),
             _item(2, [{"start": 0, "end": 1, "caption": "zzz qqq"}]), _item(3)]
    on = EV.onset_err_yamnet().score(items, {"gen": rows})
    assert on.extra["not_applicable"] == [1, 2] and "no detection" in on.extra["item_errors"]["i3"]
    f1 = EV.event_f1_yamnet().score(items, {"gen": rows})
    assert f1.per_item == [None, None, None, 0.0] and f1.extra["n_failed"] == 1
