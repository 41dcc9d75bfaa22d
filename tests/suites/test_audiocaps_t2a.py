import numpy as np
import pytest
import soundfile as sf

from bench.registry import load_suite
from bench.testset import TestSetWriter, build_testset
from suites import audiocaps_t2a
from suites._paper_data import AUDIOCAPS_ENV, PaperDataMissing
from suite_helpers import assert_common, assert_deterministic

SUITE = "audiocaps_t2a"


def test_mini_deterministic_and_real_clips(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    assert len(ts.items) == 24
    for it in ts.items:
        assert it.task == "t2a" and it.caption and it.instruction == it.caption
        assert it.meta["source_clip"] in it.id.replace("-", "/") or it.meta["source_clip"].replace("/", "-") in it.id
    assert len({it.meta["source_clip"] for it in ts.items}) == 24  # 24 different recordings


def test_paper_without_data_names_layout_and_env(tmp_path, monkeypatch):
    monkeypatch.delenv(AUDIOCAPS_ENV, raising=False)
    with pytest.raises(PaperDataMissing) as e:
        build_testset(load_suite(SUITE), "paper", tmp_path)
    msg = str(e.value)
    assert AUDIOCAPS_ENV in msg and "test.csv" in msg and "audiocaps_root" in msg


def test_paper_reads_one_caption_per_clip(tmp_path, monkeypatch):
    root = tmp_path / "audiocaps"
    (root / "test").mkdir(parents=True)
    (root / "test.csv").write_text(
        "audiocap_id,youtube_id,start_time,caption\n"
        "105,abc,30,Later caption of abc\n"
        "103,abc,30,A dog barks twice\n"
        "200,xyz,0,Rain falls on a roof\n"
        "300,gone,0,This clip has no audio\n", encoding="utf-8")
    t = np.arange(16000 * 3) / 16000
    for yid, f in (("abc", 440.0), ("xyz", 660.0)):
        sf.write(root / "test" / f"{yid}.wav", 0.3 * np.sin(2 * np.pi * f * t), 16000)
    monkeypatch.setenv(AUDIOCAPS_ENV, str(root))
    spec = load_suite(SUITE)
    out = TestSetWriter(tmp_path / "ts", SUITE, spec.seed)
    audiocaps_t2a.build(spec.params("paper"), out)
    items = {it.id: it for it in out._items.values()}
    assert sorted(items) == ["t2a-abc", "t2a-xyz"]
    assert items["t2a-abc"].caption == "A dog barks twice"  # lowest audiocap_id
    assert items["t2a-abc"].seconds == 10.0
    data, sr = sf.read(tmp_path / "ts" / items["t2a-abc"].target)
    assert sr == 16000 and data.size == 160000 and np.abs(data[-16000:]).max() < 1e-3  # padded
