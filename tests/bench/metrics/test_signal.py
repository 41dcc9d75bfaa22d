"""Signal metrics (bench/metrics/signal.py) against their reference packages on REAL recordings:
LibriVox utterances (16 kHz, pocketsphinx-testdata) and an asterisk prompt (8 kHz) as clean
speech, a real recorded washing machine (tuxpaint) as the noise. Our side goes through the
runner's loader (soundfile, mean of channels, soxr HQ) and the metric's score(); the reference
side calls pesq / pystoi / torchmetrics / pymcd directly on the files' samples."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from unison.core.audio import read_mono
from bench.item import Item
from bench.metrics import signal as S

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CLEAN = [LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav",
         LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0890.wav"]
ASTERISK = Path("/usr/share/asterisk/sounds/en/agent-pass.wav")
NOISE = Path("/usr/share/tuxpaint/stamps/household/Washing-machine.ogg")


def _need(*paths: Path) -> None:
    for p in paths:
        if not p.is_file():
            pytest.skip(f"{p} missing (Debian package not installed)")


def _mix(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise = np.resize(noise, clean.size)
    gain = math.sqrt(np.mean(clean ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return (clean + gain * noise).astype(np.float32)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """(clean path, estimate path, noisy-input path) written at 16 kHz from real clips: the
    'estimate' is the input at 15 dB SNR (a partial enhancement), the input at 0 dB SNR."""
    _need(*CLEAN, NOISE)
    tmp = tmp_path_factory.mktemp("signal")
    noise = read_mono(NOISE, 16000)[0]
    out = []
    for k, p in enumerate(CLEAN):
        clean, sr = sf.read(str(p), dtype="float32")
        assert sr == 16000
        rolled = np.roll(noise, 4000 * k)
        est, noisy = tmp / f"est{k}.wav", tmp / f"noisy{k}.wav"
        sf.write(est, _mix(clean, rolled, 15.0), 16000, subtype="FLOAT")
        sf.write(noisy, _mix(clean, rolled, 0.0), 16000, subtype="FLOAT")
        out.append((p, est, noisy))
    return out


def _score(metric, triples, sr: int):
    """Run metric.score on items whose gen/target/source features come from the real loader."""
    items, feats = [], {"gen": [], "target": [], "source": []}
    for k, (clean, est, noisy) in enumerate(triples):
        items.append(Item(id=f"i{k}", task="enhance", instruction="", seconds=1.0, seed=0, target=str(clean),
                          source=None if noisy is None else str(noisy)))
        feats["gen"].append({"samples": read_mono(est, sr)[0]})
        feats["target"].append({"samples": read_mono(clean, sr)[0]})
        feats["source"].append(None if noisy is None else {"samples": read_mono(noisy, sr)[0]})
    return metric.score(items, {r: feats[r] for r in metric.needs})


def _read(p: Path) -> np.ndarray:
    x, _ = sf.read(str(p), dtype="float32")
    return x


def test_pesq_wb_and_stoi_match_the_reference_packages(pairs):
    from pesq import pesq
    from pystoi import stoi

    for metric, ref_fn in ((S.pesq_wb(), lambda c, e: pesq(16000, c, e, "wb")),
                           (S.stoi_16k(), lambda c, e: stoi(c, e, 16000, extended=False)),
                           (S.estoi_16k(), lambda c, e: stoi(c, e, 16000, extended=True))):
        res = _score(metric, pairs, 16000)
        ref = [ref_fn(_read(c), _read(e)) for c, e, _ in pairs]
        assert res.extra.get("item_errors") is None
        # Same samples reach the same C / numpy code: float64 vs float32 inputs is the only difference.
        np.testing.assert_allclose(res.per_item, ref, rtol=0, atol=1e-6, err_msg=metric.key)
        assert res.value == pytest.approx(np.mean(ref), abs=1e-6)
    # Sanity of direction: PESQ of the 15 dB estimate is well above the 0 dB input's.
    worse = _score(S.pesq_wb(), [(c, n, None) for c, _, n in pairs], 16000)
    assert all(a > b for a, b in zip(_score(S.pesq_wb(), pairs, 16000).per_item, worse.per_item))


def test_pesq_nb_on_8k_telephone_speech_and_resampled_input(tmp_path):
    """Asterisk's 8 kHz prompt with noise; the estimate is stored at 16 kHz, so our loader
    resamples it to 8 kHz with soxr HQ: compared with the reference on the same soxr HQ samples
    (exact) and on librosa.load(sr=8000) (also soxr_hq by default)."""
    import librosa
    from pesq import pesq

    _need(ASTERISK, NOISE)
    clean, sr = sf.read(str(ASTERISK), dtype="float32")
    assert sr == 8000
    noisy8 = _mix(clean, read_mono(NOISE, 8000)[0], 10.0)
    est = tmp_path / "est16k.wav"
    sf.write(est, soxr.resample(noisy8, 8000, 16000, quality="HQ"), 16000, subtype="FLOAT")
    res = _score(S.pesq_nb(), [(ASTERISK, est, None)], 8000)
    via_soxr = pesq(8000, clean, soxr.resample(_read(est), 16000, 8000, quality="HQ"), "nb")
    via_librosa = pesq(8000, clean, librosa.load(str(est), sr=8000)[0], "nb")
    assert res.per_item[0] == pytest.approx(via_soxr, abs=1e-6)
    assert res.per_item[0] == pytest.approx(via_librosa, abs=0.01)  # librosa's soxr_hq call, float32 path
    assert 1.0 <= res.value <= 4.6


def test_si_sdr_matches_torchmetrics_and_improvement(pairs):
    import torch
    from torchmetrics.functional.audio import scale_invariant_signal_distortion_ratio as tm_si_sdr

    res = _score(S.si_sdr_16k(), pairs, 16000)
    resi = _score(S.si_sdri_16k(), pairs, 16000)
    for k, (c, e, n) in enumerate(pairs):
        c64, e64, n64 = (torch.from_numpy(_read(p).astype(np.float64)) for p in (c, e, n))
        ref = float(tm_si_sdr(e64, c64, zero_mean=True))
        ref_in = float(tm_si_sdr(n64, c64, zero_mean=True))
        # torchmetrics adds eps = 2.2e-16 to both energies: relative effect < 1e-12 here.
        assert res.per_item[k] == pytest.approx(ref, abs=1e-9)
        assert resi.per_item[k] == pytest.approx(ref - ref_in, abs=1e-9)
        assert 12.0 < res.per_item[k] < 18.0 and resi.per_item[k] > 10.0  # 15 dB vs 0 dB mixtures
    assert res.extra["protocol"]["cap_db"].startswith("each SI-SDR capped at 100")


def test_si_sdr_perfect_estimate_is_capped_and_recorded(pairs):
    clean = pairs[0][0]
    res = _score(S.si_sdr_16k(), [(clean, clean, None)], 16000)
    assert res.per_item == [100.0] and res.extra["capped"] == ["i0"]
    assert S.si_sdr(np.ones(4) * [1, 2, 3, 4], np.array([1.0, 2, 3, 4]), cap_db=None)[0] == math.inf
    # Scale invariance: a 0.1x copy is also perfect.
    x = read_mono(clean, 16000)[0].astype(np.float64)
    assert S.si_sdr(0.1 * x, x)[0] == 100.0


def test_mcd_matches_pymcd_on_files(tmp_path):
    """pymcd's own calculate_mcd reads the files with librosa.load(sr=22050); ours reads them
    through the runner's loader (soxr HQ): identical files at 22.05 kHz give identical samples."""
    from pymcd.mcd import Calculate_MCD

    _need(CLEAN[0])
    x16, _ = sf.read(str(CLEAN[0]), dtype="float32")
    x = soxr.resample(x16[: 16000 * 2], 16000, 22050, quality="HQ")
    ref_p, conv_p = tmp_path / "ref.wav", tmp_path / "conv.wav"
    sf.write(ref_p, x, 22050, subtype="FLOAT")
    # A "converted" version: slowed by 5 % (needs DTW) and spectrally tilted.
    y = soxr.resample(x, 22050, int(22050 * 1.05), quality="HQ")
    y = np.convolve(y, [1.0, -0.6], mode="same").astype(np.float32) * 0.7
    sf.write(conv_p, y, 22050, subtype="FLOAT")
    for metric, mode in ((S.mcd_dtw(), "dtw"), (S.mcd_dtw_sl(), "dtw_sl")):
        res = _score(metric, [(ref_p, conv_p, None)], 22050)
        ref = Calculate_MCD(MCD_mode=mode).calculate_mcd(str(ref_p), str(conv_p))
        assert res.per_item[0] == pytest.approx(ref, rel=1e-9), metric.key
        assert res.extra["cropped_s"] == {}  # DTW: no cropping
    assert _score(S.mcd_dtw(), [(ref_p, ref_p, None)], 22050).per_item == [0.0]


def test_bad_items_fail_alone_with_reasons(pairs, tmp_path):
    clean, est, _ = pairs[0]
    x = read_mono(clean, 16000)[0]
    silent, nan, longer = tmp_path / "silent.wav", tmp_path / "nan.wav", tmp_path / "long.wav"
    sf.write(silent, np.zeros_like(x), 16000, subtype="FLOAT")
    y = x.copy()
    y[100] = np.nan
    sf.write(nan, y, 16000, subtype="FLOAT")
    sf.write(longer, np.concatenate([x, x[:8000]]), 16000, subtype="FLOAT")
    slightly = tmp_path / "slightly.wav"
    sf.write(slightly, np.concatenate([x, x[:800]]), 16000, subtype="FLOAT")  # 50 ms longer: cropped
    triples = [(clean, est, None), (clean, silent, None), (clean, nan, None), (clean, longer, None),
               (silent, est, None), (clean, slightly, None)]
    for metric in (S.pesq_wb(), S.stoi_16k(), S.si_sdr_16k()):
        res = _score(metric, triples, 16000)
        errs = res.extra["item_errors"]
        assert res.per_item[0] is not None and res.per_item[5] is not None, metric.key
        assert set(errs) >= {"i2", "i3", "i4"}, (metric.key, errs)
        assert "NaN" in errs["i2"] and "lengths differ by 0.500 s" in errs["i3"] and "silent" in errs["i4"]
        assert res.extra["cropped_s"] == {"i5": 0.05}
        assert res.extra["n_failed"] == len(errs)
    # PESQ on a silent estimate: the C code fails; reported per item, not raised.
    assert "PESQ" in _score(S.pesq_wb(), triples, 16000).extra["item_errors"]["i1"]
    # SI-SDRi without an input audio: not applicable, not failed.
    res = _score(S.si_sdri_16k(), [(clean, est, None)] + [pairs[1]], 16000)
    assert res.extra["not_applicable"] == [0] and res.per_item[1] is not None


def test_stoi_too_few_frames_is_an_item_failure(pairs):
    clean = read_mono(pairs[0][0], 16000)[0].astype(np.float64)[:3000]  # < 30 frames at 10 kHz
    with pytest.raises(S.ItemError, match="fewer than 30"):
        S.stoi_score(clean, clean, 16000, False)
