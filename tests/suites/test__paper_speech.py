"""The VCTK reader and the paper scales built on it, on a small VCTK-shaped folder of real recorded
prompts (two speakers who read one shared sentence, as VCTK speakers do)."""
import shutil

import numpy as np
import pytest
import soundfile as sf

from bench.registry import load_suite
from bench.testset import build_testset
from suites._paper_speech import vctk_utterances
from unison.core.sources.speech import asterisk_prompts

SHARED = "Please call Stella."


@pytest.fixture
def vctk(tmp_path):
    real = asterisk_prompts()[:6]
    texts = {"p1": [SHARED, "one two", "three four"], "p2": [SHARED, "five six", "seven eight"]}
    k = 0
    for spk, lines in texts.items():
        (tmp_path / "wav48" / spk).mkdir(parents=True)
        (tmp_path / "txt" / spk).mkdir(parents=True)
        for n, text in enumerate(lines, 1):
            utt = f"{spk}_{n:03d}"
            shutil.copy(real[k].path, tmp_path / "wav48" / spk / f"{utt}.wav")
            (tmp_path / "txt" / spk / f"{utt}.txt").write_text(text + "\n")
            k += 1
    (tmp_path / "txt" / "p2" / "p2_009.txt").write_text("no audio for this one\n")
    return tmp_path


def test_vctk_reader_pairs_audio_and_transcripts(vctk):
    rows = vctk_utterances(vctk)
    assert [r.id for r in rows] == ["p1_001", "p1_002", "p1_003", "p2_001", "p2_002", "p2_003"]
    assert rows[0].text == SHARED and rows[0].speaker == "p1"


def test_voice_conversion_paper_targets_are_the_target_speakers_own_reading(vctk, tmp_path, monkeypatch):
    monkeypatch.setenv("VCTK_ROOT", str(vctk))
    spec = load_suite("voice_conversion")
    spec.scales["paper"] = dict(spec.scales["paper"], n=6)
    ts = build_testset(spec, "paper", tmp_path / "ts")
    for it in ts.items:
        m = it.meta
        assert m["target_speaker"] != m["source_speaker"] and m["reference_text"] != it.text
        if it.text == SHARED:
            assert it.subset == "parallel" and m["target_src"] == f"{m['target_speaker']}_001"
        else:
            assert it.subset == "nonparallel" and it.target is None


@pytest.mark.bad_input
def test_tse_paper_silent_enrolment_is_an_item_error(vctk, tmp_path, monkeypatch):
    sf.write(vctk / "wav48" / "p1" / "p1_003.wav", np.zeros(8000, dtype=np.int16), 8000, subtype="PCM_16")
    monkeypatch.setenv("VCTK_ROOT", str(vctk))
    spec = load_suite("target_speaker_extraction")
    spec.scales["paper"] = dict(spec.scales["paper"], n=12)
    ts = build_testset(spec, "paper", tmp_path / "ts")  # the build goes on
    bad = [it for it in ts.items if "p1_003" in (it.meta["enrolment_src"], it.meta["target_src"],
                                                 it.meta["interferer_src"])]
    assert bad and all("p1_003 is silent" in it.meta["input_error"] for it in bad)
    assert any(it.meta["enrolment_src"] == "p1_003" for it in bad)
    assert all("input_error" not in it.meta for it in ts.items if it not in bad)
