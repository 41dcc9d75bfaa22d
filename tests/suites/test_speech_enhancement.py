import shutil
from collections import Counter

import numpy as np
import pytest

from bench.registry import load_suite
from bench.testset import build_testset
from suite_helpers import assert_deterministic, pcm
from suites._paper_data import PaperDataMissing
from unison.core.sources.speech import asterisk_prompts, librivox_utterances

SUITE = "speech_enhancement"


def test_mini_noisy_is_clean_plus_noise_at_the_stated_snr(built):
    assert_deterministic(built)
    ts = built[0]
    assert Counter(it.subset for it in ts.items) == {"snr0": 3, "snr5": 3, "snr10": 3, "snr15": 3}
    for it in ts.items:
        assert it.task == "denoise" and it.instruction == "Remove the noise" and it.text
        assert it.reference == it.target
        noisy, clean = pcm(ts, it.source), pcm(ts, it.target)
        st = {k: pcm(ts, v) for k, v in it.meta["stems"].items()}
        assert np.array_equal(noisy - clean, st["noise"])  # exact in the stored PCM_16 files
        assert np.array_equal(clean, st["speech"] + st["floor"])
        snr = 20 * np.log10(np.sqrt(np.mean(st["speech"].astype(float) ** 2))
                            / np.sqrt(np.mean(st["noise"].astype(float) ** 2)))
        assert abs(snr - it.meta["snr_db"]) < 0.01, (it.id, snr)
        assert it.subset == f"snr{it.meta['snr_db']:g}"


def test_paper_scale_names_its_layout_when_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("VOICEBANK_DEMAND_ROOT", raising=False)
    with pytest.raises(PaperDataMissing, match="clean_testset_wav"):
        build_testset(load_suite(SUITE), "paper", tmp_path / "ts")


@pytest.mark.bad_input
def test_paper_pair_of_different_rates_and_lengths_is_an_item_error_not_a_crash(tmp_path, monkeypatch):
    """Real files: an 8 kHz asterisk prompt as clean and a 16 kHz LibriVox utterance as its 'noisy'
    twin (p1), and a matching pair (p2: the same file twice)."""
    root = tmp_path / "vbd"
    for d in ("clean_testset_wav", "noisy_testset_wav"):
        (root / d).mkdir(parents=True)
    a, b = asterisk_prompts()[0].path, librivox_utterances()[0].path
    shutil.copy(a, root / "clean_testset_wav" / "p1.wav")
    shutil.copy(b, root / "noisy_testset_wav" / "p1.wav")
    for d in ("clean_testset_wav", "noisy_testset_wav"):
        shutil.copy(b, root / d / "p2.wav")
    monkeypatch.setenv("VOICEBANK_DEMAND_ROOT", str(root))
    ts = build_testset(load_suite(SUITE), "paper", tmp_path / "ts")
    items = {it.id: it for it in ts.items}
    assert "8000 Hz" in items["p1"].meta["input_error"] and "lasts" in items["p1"].meta["input_error"]
    assert "input_error" not in items["p2"].meta

    from bench.metrics.signal import si_sdr_16k
    from unison.core.audio import read_mono

    feats = {role: [{"samples": read_mono(ts.path(getattr(it, f)), 16000)[0]} for it in ts.items]
             for role, f in (("gen", "source"), ("target", "target"))}
    res = si_sdr_16k().score(ts.items, feats)
    ids = [it.id for it in ts.items]
    assert res.per_item[ids.index("p1")] is None and res.per_item[ids.index("p2")] == 100.0
    assert set(res.extra["item_errors"]) == {"p1"}
    assert "does not match" in res.extra["item_errors"]["p1"]
