import pytest

from bench.registry import load_suite
from bench.testset import build_testset
from suite_helpers import assert_deterministic, wave
from suites._paper_data import PaperDataMissing

SUITE = "voice_conversion"


def test_mini_reference_speaker_differs_from_the_source_speaker(built):
    assert_deterministic(built)
    ts = built[0]
    assert len(ts.items) == 10
    for it in ts.items:
        m = it.meta
        assert it.task == "voice_conversion" and it.source and it.reference and it.text
        assert m["reference_speaker"] == m["target_speaker"] != m["source_speaker"]
        assert m["reference_text"] != it.text  # the reference says other words
        # mini targets are synthetic parallel utterances: the target speaker's voice reading the source's words
        assert it.target and it.subset == "parallel" and m["target_src"].endswith(m["source_src"])
        src, sr = wave(ts, it.source)
        tgt, sr2 = wave(ts, it.target)
        assert sr == sr2 == 16000 and src.size == tgt.size == round(it.seconds * 16000)


def test_paper_scale_names_its_layout_when_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("VCTK_ROOT", raising=False)
    with pytest.raises(PaperDataMissing, match="wav48"):
        build_testset(load_suite(SUITE), "paper", tmp_path / "ts")
