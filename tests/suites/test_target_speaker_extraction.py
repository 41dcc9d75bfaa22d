from functools import partial

import numpy as np
import pytest

from bench.registry import load_suite
from bench.testset import build_testset
from suite_helpers import assert_deterministic, pcm
from suites import target_speaker_extraction as tse
from suites._paper_data import PaperDataMissing
from suites._pools import SpeechSrc, file_wave
from unison.core.sources.speech import asterisk_prompts

SUITE = "target_speaker_extraction"


def _rms(x):
    return np.sqrt(np.mean(np.asarray(x, float) ** 2))


def test_mini_mixture_is_target_plus_interferer_at_the_stated_sir(built):
    assert_deterministic(built)
    ts = built[0]
    assert len(ts.items) == 10 and {it.subset for it in ts.items} == {"sir0", "sir5"}
    assert len({it.meta["target_speaker"] for it in ts.items}) >= 4
    for it in ts.items:
        assert it.task == "target_speaker_extraction" and it.reference and it.text
        mix, tgt = pcm(ts, it.source), pcm(ts, it.target)
        st = {k: pcm(ts, v) for k, v in it.meta["stems"].items()}
        assert np.array_equal(mix - tgt, st["interferer"])  # exact in the stored files
        assert np.array_equal(tgt, st["target"] + st["floor"])
        sir = 20 * np.log10(_rms(st["target"]) / _rms(st["interferer"]))
        assert abs(sir - it.meta["sir_db"]) < 0.01, (it.id, sir)
        # enrolment: the same speaker, another utterance (other words); the interferer is someone else
        assert it.meta["enrolment_speaker"] == it.meta["target_speaker"] != it.meta["interferer_speaker"]
        assert it.meta["enrolment_src"] != it.meta["target_src"] and it.meta["enrolment_text"] != it.text
        assert "input_error" not in it.meta


def test_paper_scale_names_its_layout_when_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("VCTK_ROOT", raising=False)
    with pytest.raises(PaperDataMissing, match="VCTK_ROOT"):
        build_testset(load_suite(SUITE), "paper", tmp_path / "ts")


@pytest.mark.bad_input
def test_a_silent_enrolment_clip_fails_its_item_not_the_build(tmp_path, monkeypatch):
    """Speaker A: two real prompts and one digitally silent clip; speaker B: real prompts."""
    real = asterisk_prompts()[:5]

    def src(i, spk, silent=False):
        c = real[i]
        load = (lambda sr: np.zeros(sr)) if silent else partial(file_wave, c.path)
        return SpeechSrc(id=f"{spk}-{i}", text=f"{c.transcript} {spk}{i}", lang="en", gender=None, speaker=spk,
                         load=load)

    pool = [src(0, "a"), src(1, "a"), src(2, "a", silent=True), src(3, "b"), src(4, "b")]
    monkeypatch.setattr(tse, "speaker_pool", lambda params, suite: pool)
    spec = load_suite(SUITE)
    spec.scales["mini"] = dict(spec.scales["mini"], n=12)
    ts = build_testset(spec, "mini", tmp_path / "ts")
    flagged = [it for it in ts.items if "input_error" in it.meta]
    assert any(it.meta["enrolment_src"] == "a-2" for it in flagged)
    for it in ts.items:
        uses_silent = "a-2" in (it.meta["enrolment_src"], it.meta["target_src"], it.meta["interferer_src"])
        assert uses_silent == ("input_error" in it.meta), it.id
        if it.meta["enrolment_src"] == "a-2":
            assert "the enrolment clip a-2 is silent" in it.meta["input_error"]
