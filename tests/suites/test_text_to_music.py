import pytest

from bench.registry import load_suite
from bench.testset import build_testset
from suite_helpers import assert_deterministic, wave
from suites._paper_data import PaperDataMissing

SUITE = "text_to_music"


def test_mini_is_the_six_real_instrument_recordings(built):
    assert_deterministic(built)
    ts = built[0]
    assert len(ts.items) == 6
    assert {it.caption for it in ts.items} >= {"A cello", "A violin", "A drum kit"}
    for it in ts.items:
        assert it.task == "t2a" and it.instruction == it.caption
        assert it.meta["source_clip"].startswith("hobbies/music/")
        x, sr = wave(ts, it.target)
        assert sr == 16000 and x.size == 5 * 16000 and abs(x).max() > 0.01


def test_paper_scale_names_its_layout_when_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("MUSICCAPS_ROOT", raising=False)
    with pytest.raises(PaperDataMissing, match="musiccaps-public.csv"):
        build_testset(load_suite(SUITE), "paper", tmp_path / "ts")
