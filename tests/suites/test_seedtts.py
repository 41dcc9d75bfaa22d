import numpy as np
import pytest
import soundfile as sf

from bench.registry import load_suite
from bench.testset import TestSetWriter, build_testset
from suites import seedtts
from suites._paper_data import SEEDTTS_ENV, PaperDataMissing, parse_meta_lst
from suite_helpers import assert_common, assert_deterministic, wave

SUITE = "seedtts"


def test_mini_deterministic_subsets_and_prompts(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    by = {}
    for it in ts.items:
        by.setdefault(it.subset, []).append(it)
        assert it.text and it.lang in ("en", "zh") and it.target is not None
        if it.task == "zs_tts":
            assert it.reference is not None and it.meta["prompt_text"] != it.text  # a DIFFERENT utterance
            ref, _ = wave(ts, it.reference)
            tgt, _ = wave(ts, it.target)
            assert ref.size != tgt.size or not np.allclose(ref, tgt[: ref.size])
        else:
            assert it.task == "tts" and it.reference is None
    assert {k: len(v) for k, v in by.items()} == {"tts-en": 8, "zs-en": 8, "tts-zh": 4, "zs-zh": 4}
    # the zero-shot prompt comes from the same speaker as the target
    for it in by["zs-en"]:
        assert it.meta["utt"].rsplit("-", 1)[0] in it.id


def _fixture(root):
    en = root / "en"
    (en / "prompt-wavs").mkdir(parents=True)
    (en / "wavs").mkdir()
    t = np.arange(16000) / 16000
    sf.write(en / "prompt-wavs" / "p1.wav", 0.2 * np.sin(2 * np.pi * 300 * t), 16000)
    sf.write(en / "prompt-wavs" / "p2.wav", 0.2 * np.sin(2 * np.pi * 500 * t), 16000)
    sf.write(en / "wavs" / "u1.wav", 0.2 * np.sin(2 * np.pi * 400 * t), 16000)
    (en / "meta.lst").write_text(
        "u1|Prompt words one.|prompt-wavs/p1.wav|Target words one.\n"
        "u2|Prompt words two.|prompt-wavs/p2.wav|Target words two.|wavs/u1.wav\n", encoding="utf-8")
    return en / "meta.lst"


def test_meta_lst_parsing_real_format(tmp_path):
    rows = parse_meta_lst(_fixture(tmp_path), "en")
    assert [r.utt for r in rows] == ["u1", "u2"]
    assert rows[0].prompt_text == "Prompt words one." and rows[0].target_text == "Target words one."
    assert rows[0].prompt_wav == tmp_path / "en" / "prompt-wavs" / "p1.wav"
    assert rows[0].target_wav == tmp_path / "en" / "wavs" / "u1.wav"  # <lang>/wavs/<utt>.wav
    assert rows[1].target_wav == tmp_path / "en" / "wavs" / "u1.wav"  # 5th field
    bad = tmp_path / "bad.lst"
    bad.write_text("u1|only three|fields\n")
    with pytest.raises(ValueError, match=r"bad.lst:1: expected 4"):
        parse_meta_lst(bad, "en")


def test_paper_scale_on_fixture(tmp_path, monkeypatch):
    _fixture(tmp_path / "seed")
    monkeypatch.setenv(SEEDTTS_ENV, str(tmp_path / "seed"))
    spec = load_suite(SUITE)
    params = dict(spec.params("paper"), langs=["en"])
    out = TestSetWriter(tmp_path / "ts", SUITE, spec.seed)
    seedtts.build(params, out)
    ids = sorted(out._items)
    assert ids == ["en-tts-u1", "en-tts-u2", "en-zs-u1", "en-zs-u2"]
    zs = out._items["en-zs-u1"]
    assert zs.task == "zs_tts" and zs.reference and zs.text == "Target words one." and zs.subset == "zs-en"
    assert out._items["en-tts-u1"].instruction.endswith("Target words one.")


def test_paper_without_data_names_layout_and_env(tmp_path, monkeypatch):
    monkeypatch.delenv(SEEDTTS_ENV, raising=False)
    with pytest.raises(PaperDataMissing) as e:
        build_testset(load_suite(SUITE), "paper", tmp_path)
    assert SEEDTTS_ENV in str(e.value) and "meta.lst" in str(e.value) and "seedtts_root" in str(e.value)
