"""Per-segment extraction (timed composition): pieces are cut at the stated boundaries and scored
against their own captions."""
import numpy as np
import pytest

from bench.extractors.base import Extractor
from bench.extractors.segments import SegmentExtractor, yamnet_segments
from bench.item import Item
from bench.metrics.segments import SegmentCLAP, SegmentPresence

SR = 16000


class LengthProbe(Extractor):
    """Returns each piece's length and a 'text embedding' that encodes its caption's length."""

    name = "probe"
    sample_rate = SR

    def signature(self):
        return {"probe": 1}

    def extract(self, waves, sides):
        return [{"audio_embedding": np.array([len(w), 1.0]), "text_embedding": np.array([len(s or ""), 1.0]),
                 "frames": np.zeros((len(w) // SR, 3))}  # ragged across segments: dropped
                for w, s in zip(waves, sides)]


def _item(segments):
    return Item(id="x", task="timed", instruction="...", seconds=4.0, seed=0, segments=tuple(segments))


def test_pieces_follow_the_boundaries():
    ext = SegmentExtractor(LengthProbe(), "probe-segments")
    item = _item([{"start": 0.0, "end": 1.5, "caption": "a"}, {"start": 1.0, "end": 4.0, "caption": "bbb"}])
    side = ext.side_input(item, "gen")
    [out] = ext.extract([np.zeros(4 * SR, dtype=np.float32)], [side])
    np.testing.assert_array_equal(out["audio_embedding"][:, 0], [1.5 * SR, 3.0 * SR])
    np.testing.assert_array_equal(out["text_embedding"][:, 0], [1, 3])
    assert "frames" not in out
    assert ext.signature()["inner_signature"] == {"probe": 1}


def test_segment_outside_the_clip_is_an_error():
    ext = SegmentExtractor(LengthProbe(), "probe-segments")
    side = ext.side_input(_item([{"start": 5.0, "end": 6.0, "caption": "late"}]), "gen")
    with pytest.raises(ValueError, match="segment"):
        ext.extract([np.zeros(4 * SR, dtype=np.float32)], [side])


def test_segment_clap_is_the_mean_cosine_over_segments():
    items = [_item([{"start": 0, "end": 1, "caption": "a"}, {"start": 1, "end": 2, "caption": "b"}]),
             Item(id="y", task="t2a", instruction="no segments", seconds=1.0, seed=0)]
    row = {"audio_embedding": np.array([[1.0, 0.0], [0.0, 1.0]]), "text_embedding": np.array([[1.0, 0.0], [1.0, 0.0]])}
    res = SegmentCLAP("probe-segments", "probe").score(items, {"gen": [row, None]})
    assert res.value == pytest.approx(0.5)  # cosines 1 and 0
    assert res.extra["not_applicable"] == [1]


def test_presence_follows_the_events_in_time(clips):
    """Real YAMNet on real sounds: a duck then a vacuum cleaner scores high when the captions
    follow the audio, low when they are swapped."""
    duck = clips.tuxpaint("animals/birds/duck.ogg", SR)[: 2 * SR]
    vacuum = clips.tuxpaint("household/vacuum_cleaner.ogg", SR)[: 2 * SR]
    wave = np.concatenate([np.pad(duck, (0, 2 * SR - len(duck))), np.pad(vacuum, (0, 2 * SR - len(vacuum)))])
    right = _item([{"start": 0.0, "end": 2.0, "caption": "A duck"}, {"start": 2.0, "end": 4.0, "caption": "A vacuum cleaner"}])
    swapped = _item([{"start": 0.0, "end": 2.0, "caption": "A vacuum cleaner"}, {"start": 2.0, "end": 4.0, "caption": "A duck"}])
    ext = yamnet_segments()
    feats = ext.extract([wave, wave], [ext.side_input(right, "gen"), ext.side_input(swapped, "gen")])
    metric = SegmentPresence()
    good = metric.score([right], {"gen": [feats[0]]}).value
    bad = metric.score([swapped], {"gen": [feats[1]]}).value
    assert good > 0.5 > bad
