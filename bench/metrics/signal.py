"""Intrusive signal metrics of enhancement / separation / super-resolution / voice conversion:
the estimate (the generated audio, role "gen") against the clean reference (role "target"), and
for the improvement variant the unprocessed input (role "source", e.g. the noisy mixture).

Each variant wraps the field's reference package (its own code computes the number) or, for
SI-SDR, the textbook formula checked against torchmetrics in the conformance tests:

- ``pesq@wb-16k``  ITU-T P.862.2 wide band, ``pesq.pesq(16000, ref, est, "wb")``, MOS-LQO.
- ``pesq@nb-8k``   ITU-T P.862 narrow band, ``pesq.pesq(8000, ref, est, "nb")``, MOS-LQO (the
  P.862.1 mapping the package returns).
- ``stoi@16k`` / ``estoi@16k``  ``pystoi.stoi(ref, est, 16000, extended=False / True)``; pystoi
  resamples to 10 kHz itself.
- ``si-sdr@16k-cap100``  zero-mean both, alpha = <est, ref> / ||ref||^2,
  10 log10(||alpha ref||^2 / ||alpha ref - est||^2), float64. A perfect estimate has zero error
  energy, i.e. +inf dB: every value is capped at 100 dB (error energy 1e-10 of the target's), so
  the mean stays finite; a capped item is listed in the cell's ``extra["capped"]``.
- ``si-sdri@16k-cap100``  SI-SDR(est, ref) - SI-SDR(input, ref) (extraction / separation
  improvement), each term capped as above; items without an input audio are not applicable.
- ``mcd@pymcd-dtw`` / ``mcd@pymcd-dtw-sl``  mel-cepstral distortion as the voice-conversion
  papers compute it with the ``pymcd`` package (22.05 kHz, WORLD spectral envelope, 5 ms frames,
  fft 512, SPTK mcep order 13, alpha 0.65, fastdtw on c1..c13, distance over c0..c13 with
  10/ln10 * sqrt(2)); "dtw-sl" multiplies by the length ratio of the two mcep sequences.

Input rules (part of each variant's protocol, recorded in every cell's ``extra["protocol"]``):
audio reaches the metric through the runner's loader (mean of channels, soxr HQ to the metric's
rate, float32); the two (three) waves are cropped to the shortest when they differ by at most
``max_length_gap_s`` (0.1 s, the suites' duration tolerance) and the cropped items are listed
with their gap; a larger gap, a non-finite sample, a digitally silent reference (peak <= 1e-5)
or an error raised by the reference package fails that item alone, with its reason in
``extra["item_errors"]``; so does an item whose builder flagged its inputs as unusable
(``item.meta["input_error"]``, e.g. a VoiceBank-DEMAND pair whose files differ in rate or length). MCD needs no length alignment (DTW), so it is not cropped.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats, take

MAX_LENGTH_GAP_S = 0.1
SILENT_PEAK = 1e-5
SI_SDR_CAP_DB = 100.0
LOADER = {"mono": "mean of channels", "resampler": "soxr HQ", "dtype": "float32"}


class ItemError(ValueError):
    """One item cannot be scored; the message is its reason in the cell's item_errors."""


def _wave(x: Any, what: str) -> np.ndarray:
    w = np.asarray(x, dtype=np.float64)
    if w.ndim != 1:
        raise ItemError(f"{what}: expected a mono (samples,) wave, got shape {w.shape}")
    if w.size == 0:
        raise ItemError(f"{what}: empty (0 samples)")
    if not np.all(np.isfinite(w)):
        raise ItemError(f"{what}: {int(np.sum(~np.isfinite(w)))} NaN/inf samples")
    return w


def _not_silent(w: np.ndarray, what: str) -> None:
    peak = float(np.max(np.abs(w)))
    if peak <= SILENT_PEAK:
        raise ItemError(f"{what} is digitally silent (peak {peak:.2g} <= {SILENT_PEAK:g})")


def align(waves: dict[str, np.ndarray], sr: int, max_gap_s: float = MAX_LENGTH_GAP_S
          ) -> tuple[dict[str, np.ndarray], float]:
    """Crop every wave to the shortest; fail when they differ by more than ``max_gap_s``.
    -> (cropped waves, gap in seconds)."""
    lengths = {k: len(v) for k, v in waves.items()}
    n, longest = min(lengths.values()), max(lengths.values())
    gap = (longest - n) / sr
    if gap > max_gap_s + 1e-9:
        shown = ", ".join(f"{k} {v / sr:.3f} s" for k, v in lengths.items())
        raise ItemError(f"lengths differ by {gap:.3f} s > {max_gap_s:g} s ({shown}); "
                        "sample-aligned metrics need signals of the same length")
    return {k: v[:n] for k, v in waves.items()}, gap


# ---------------------------------------------------------------- the numbers

def si_sdr(est: np.ndarray, ref: np.ndarray, cap_db: float | None = SI_SDR_CAP_DB) -> tuple[float, bool]:
    """Scale-invariant SDR in dB (zero-mean both, float64) -> (value, capped?)."""
    est = np.asarray(est, np.float64) - np.mean(est)
    ref = np.asarray(ref, np.float64) - np.mean(ref)
    if est.shape != ref.shape:
        raise ItemError(f"SI-SDR needs equal lengths, got {est.shape} and {ref.shape}")
    ref_energy = float(ref @ ref)
    if ref_energy <= 0.0:
        raise ItemError("SI-SDR: the reference is constant (zero energy after removing its mean)")
    alpha = float(est @ ref) / ref_energy
    target = alpha * ref
    err = target - est
    t, e = float(target @ target), float(err @ err)
    if t == 0.0:
        raise ItemError("SI-SDR: the estimate is orthogonal to the reference (alpha = 0): -inf dB")
    v = math.inf if e == 0.0 else 10.0 * math.log10(t / e)
    if cap_db is not None and v > cap_db:
        return float(cap_db), True
    return v, False


def pesq_score(est: np.ndarray, ref: np.ndarray, sr: int, mode: str) -> float:
    from pesq import PesqError, pesq

    try:
        return float(pesq(sr, ref, est, mode, on_error=PesqError.RAISE_EXCEPTION))
    except PesqError as e:  # NoUtterancesError, BufferTooShortError, ...
        raise ItemError(f"PESQ ({type(e).__name__}): {e or 'no utterance found'}") from e
    except (ValueError, ArithmeticError) as e:  # e.g. a silent estimate: NaN inside the C code
        raise ItemError(f"PESQ failed ({type(e).__name__}: {e}); is the estimate silent?") from e


def stoi_score(est: np.ndarray, ref: np.ndarray, sr: int, extended: bool) -> float:
    from pystoi import stoi

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = float(stoi(ref, est, sr, extended=extended))
    for w in caught:
        if "Not enough STFT frames" in str(w.message):
            # pystoi returns the placeholder 1e-5 here; it is not a measurement.
            raise ItemError("STOI: fewer than 30 non-silent frames (clip too short or too quiet); "
                            "pystoi would return the placeholder 1e-5")
    return v


def mcd_pymcd(est: np.ndarray, ref: np.ndarray, mode: str) -> float:
    """pymcd's Calculate_MCD.average_mcd on in-memory 22.05 kHz waves (its own methods: WORLD +
    SPTK mcep, fastdtw, distance), without its file loading (the runner loads and resamples)."""
    from fastdtw import fastdtw
    from pymcd.mcd import Calculate_MCD
    from scipy.spatial.distance import euclidean

    calc = Calculate_MCD(MCD_mode=mode)
    ref_mcep = calc.wav2mcep_numpy(np.asarray(ref, np.float32))
    est_mcep = calc.wav2mcep_numpy(np.asarray(est, np.float32))
    if mode == "plain":
        raise ItemError("plain MCD is not offered (it needs zero-padding to equal length)")
    _, path = fastdtw(ref_mcep[:, 1:], est_mcep[:, 1:], dist=euclidean)
    frames, cost = calc.calculate_mcd_distance(ref_mcep, est_mcep, path)
    mcd = calc.log_spec_dB_const * cost / frames
    if mode == "dtw_sl":
        a, b = len(ref_mcep), len(est_mcep)
        mcd *= (a / b) if a > b else (b / a)
    return float(mcd)


# ---------------------------------------------------------------- metric classes


class IntrusiveMetric(Metric):
    """A per-item score of the estimate (gen) against the clean reference (target), optionally
    the input (source), all as waveforms at ``sample_rate``."""

    use_source = False
    crop = True

    def __init__(self, name: str, variant: str, sample_rate: int, fn: Callable[..., float],
                 higher_is_better: bool, protocol: dict[str, Any], version: str = "1"):
        from bench.extractors.waveform import WaveformExtractor

        self.name, self.variant, self.version = name, variant, version
        self.sample_rate = int(sample_rate)
        self.fn = fn
        self.higher_is_better = higher_is_better
        self.paper_protocol = False
        ext = WaveformExtractor(self.sample_rate).name
        self.needs = {"gen": ext, "target": ext, **({"source": ext} if self.use_source else {})}
        self.protocol = {"sample_rate": self.sample_rate, **LOADER,
                         "length": (f"crop to the shortest; > {MAX_LENGTH_GAP_S:g} s apart fails the item"
                                    if self.crop else "not aligned (DTW)"),
                         "silent_reference": f"peak <= {SILENT_PEAK:g} fails the item", **protocol}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        n = len(items)
        roles = ["gen", "target"] + (["source"] if self.use_source else [])
        rows = {r: role_feats(feats, r, n) for r in roles}
        per: list[float | None] = []
        na: list[int] = []
        errors: dict[str, str] = {}
        cropped: dict[str, float] = {}
        self._capped: list[str] = []
        for i, item in enumerate(items):
            if item.target is None or (self.use_source and item.source is None):
                na.append(i)
                per.append(None)
                continue
            got = {r: take(rows[r][i], "samples", f"{self.key} item {item.id} {r}") for r in roles}
            if any(v is None for v in got.values()):
                per.append(None)  # generation or extraction failed: counted, reason elsewhere
                continue
            try:
                if item.meta.get("input_error"):  # the builder found the item's inputs unusable
                    raise ItemError(f"input: {item.meta['input_error']}")
                waves = {r: _wave(v, f"{r} audio") for r, v in got.items()}
                _not_silent(waves["target"], "the reference (target)")
                if self.crop:
                    waves, gap = align(waves, self.sample_rate)
                    if gap > 0:
                        cropped[item.id] = round(gap, 6)
                per.append(self._item(item, waves))
            except ItemError as e:
                errors[item.id] = str(e)
                per.append(None)
            except Exception as e:  # noqa: BLE001 - the reference package's own error fails one item
                errors[item.id] = f"{self.key}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                per.append(None)
        extra: dict[str, Any] = {"protocol": self.protocol, "cropped_s": cropped}
        if errors:
            extra["item_errors"] = errors
        if self._capped:
            extra["capped"] = self._capped
        return mean_result(per, na, extra, what=self.key)

    def _item(self, item: Item, waves: dict[str, np.ndarray]) -> float:
        return self.fn(waves["gen"], waves["target"])


class SISDR(IntrusiveMetric):
    def __init__(self, improvement: bool = False, cap_db: float = SI_SDR_CAP_DB):
        self.use_source = improvement
        self.cap_db = cap_db
        name = "si-sdri" if improvement else "si-sdr"
        super().__init__(name, f"16k-cap{cap_db:g}", 16000, None, True,  # type: ignore[arg-type]
                         {"formula": "zero-mean both; alpha=<est,ref>/||ref||^2; 10log10(||alpha ref||^2/"
                                     "||alpha ref - est||^2); float64",
                          "cap_db": f"each SI-SDR capped at {cap_db:g} dB (a perfect estimate is +inf)",
                          **({"improvement": "SI-SDR(gen, target) - SI-SDR(source, target)"} if improvement else {}),
                          "reference": "torchmetrics scale_invariant_signal_distortion_ratio(zero_mean=True)"})

    def _item(self, item: Item, waves: dict[str, np.ndarray]) -> float:
        v, capped = si_sdr(waves["gen"], waves["target"], self.cap_db)
        if capped:
            self._capped.append(item.id)
        if not self.use_source:
            return v
        v0, capped0 = si_sdr(waves["source"], waves["target"], self.cap_db)
        if capped0:
            self._capped.append(f"{item.id} (input)")
        return v - v0


# Factories named in bench/metrics/catalog.py.
def pesq_wb() -> IntrusiveMetric:
    return IntrusiveMetric("pesq", "wb-16k", 16000, lambda e, r: pesq_score(e, r, 16000, "wb"), True,
                           {"reference": "pesq 0.0.4 pesq(16000, ref, est, 'wb')", "standard": "ITU-T P.862.2",
                            "output": "MOS-LQO"})


def pesq_nb() -> IntrusiveMetric:
    return IntrusiveMetric("pesq", "nb-8k", 8000, lambda e, r: pesq_score(e, r, 8000, "nb"), True,
                           {"reference": "pesq 0.0.4 pesq(8000, ref, est, 'nb')", "standard": "ITU-T P.862",
                            "output": "MOS-LQO (P.862.1 mapping)"})


def stoi_16k() -> IntrusiveMetric:
    return IntrusiveMetric("stoi", "16k", 16000, lambda e, r: stoi_score(e, r, 16000, False), True,
                           {"reference": "pystoi 0.4.1 stoi(ref, est, 16000, extended=False)",
                            "internal": "pystoi resamples to 10 kHz, removes silent frames (40 dB)",
                            "too_few_frames": "fails the item (pystoi's placeholder 1e-5 is not reported)"})


def estoi_16k() -> IntrusiveMetric:
    return IntrusiveMetric("estoi", "16k", 16000, lambda e, r: stoi_score(e, r, 16000, True), True,
                           {"reference": "pystoi 0.4.1 stoi(ref, est, 16000, extended=True)",
                            "internal": "pystoi resamples to 10 kHz, removes silent frames (40 dB)",
                            "too_few_frames": "fails the item (pystoi's placeholder 1e-5 is not reported)"})


def si_sdr_16k() -> SISDR:
    return SISDR(improvement=False)


def si_sdri_16k() -> SISDR:
    return SISDR(improvement=True)


class _MCD(IntrusiveMetric):
    crop = False


def _mcd(mode: str, variant: str) -> IntrusiveMetric:
    return _MCD("mcd", variant, 22050, lambda e, r: mcd_pymcd(e, r, mode), False,
                {"reference": f"pymcd 0.2.1 Calculate_MCD('{mode}') (its wav2mcep_numpy, fastdtw path, "
                              "calculate_mcd_distance); waves loaded by the runner instead of librosa.load "
                              "(both soxr HQ, mean of channels)",
                 "features": "WORLD sp (frame 5 ms, fft 512) -> SPTK mcep order 13, alpha 0.65",
                 "dtw": "fastdtw on c1..c13 (euclidean); distance over c0..c13, x 10/ln10*sqrt(2)",
                 **({"length_ratio": "x max(len)/min(len) of the mcep sequences"} if mode == "dtw_sl" else {})})


def mcd_dtw() -> IntrusiveMetric:
    return _mcd("dtw", "pymcd-dtw")


def mcd_dtw_sl() -> IntrusiveMetric:
    return _mcd("dtw_sl", "pymcd-dtw-sl")
