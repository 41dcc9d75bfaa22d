"""DNSMOS through speechmos's own DNSMOS class and shipped ONNX models, on REAL speech: our
extractor + metric path vs ``speechmos.dnsmos.run`` called as its README shows."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from unison.core.audio import read_mono
from bench.extractors.dnsmos import DNSMOSExtractor
from bench.item import Item
from bench.metrics import mos

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CLIPS_16K = [LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav",  # 2.99 s: repeated to 9.01 s
             LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"]  # 7.10 s
ASTERISK_8K = Path("/usr/share/asterisk/sounds/en/agent-pass.wav")
KEYS = {"sig": "sig_mos", "bak": "bak_mos", "ovrl": "ovrl_mos", "p808": "p808_mos"}


@pytest.fixture(scope="module")
def ext():
    e = DNSMOSExtractor()
    if e.available() is not None:
        pytest.skip(e.available())
    return e


def test_matches_speechmos_on_real_speech(ext):
    import speechmos.dnsmos as ref

    for p in CLIPS_16K + [ASTERISK_8K]:
        if not p.is_file():
            pytest.skip(f"{p} missing")
    # 16 kHz files: the same samples reach the same code -> identical numbers.
    for p in CLIPS_16K:
        ours = ext.extract([read_mono(p, 16000)[0]], [None])[0]
        theirs = ref.run(sf.read(str(p), dtype="float32")[0], 16000)
        for k, rk in KEYS.items():
            assert ours[k] == pytest.approx(float(theirs[rk]), abs=1e-6), (p.name, k)
        assert 1.0 < ours["ovrl"] < 5.0 and 1.0 < ours["p808"] < 5.0
    # An 8 kHz file: the reference's path input loads it with librosa.load(sr=16000) (soxr_hq),
    # ours with soundfile + soxr HQ; the resampled samples differ by float32 round-off only.
    ours = ext.extract([read_mono(ASTERISK_8K, 16000)[0]], [None])[0]
    theirs = ref.run(str(ASTERISK_8K), 16000)
    for k, rk in KEYS.items():
        assert ours[k] == pytest.approx(float(theirs[rk]), abs=1e-3), k


def test_metric_per_item_and_bad_clips(ext):
    p = CLIPS_16K[0]
    if not p.is_file():
        pytest.skip(f"{p} missing")
    x = read_mono(p, 16000)[0]
    loud = x * (1.5 / np.abs(x).max())
    feats = ext.extract([x, loud, np.zeros(0, np.float32), np.full(100, np.nan, np.float32)], [None] * 4)
    assert "outside [-1, 1]" in feats[1]["error"] and "non-empty" in feats[2]["error"] and "NaN" in feats[3]["error"]
    items = [Item(id=f"i{k}", task="tts", instruction="", seconds=3.0, seed=0) for k in range(5)]
    for factory, key in ((mos.dnsmos_ovrl, "ovrl"), (mos.dnsmos_sig, "sig"), (mos.dnsmos_bak, "bak"),
                         (mos.dnsmos_p808, "p808")):
        m = factory()
        res = m.score(items, {"gen": feats + [None]})
        assert res.per_item[0] == feats[0][key] and res.per_item[1:] == [None] * 4
        assert set(res.extra["item_errors"]) == {"i1", "i2", "i3"} and res.extra["n_failed"] == 4
        assert res.value == feats[0][key]
    sig = ext.signature()
    assert len(sig["p835_onnx_sha256"]) == 64 and sig["input_length_s"] == 9.01
