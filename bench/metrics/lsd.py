"""Log-spectral distance, ssr_eval's recipe (used by audioldm_eval and the editing literature).

Facts (ssr_eval.metrics.AudioMetrics): hop = int(sr/100), n_fft = int(2048 / (44100/sr)),
librosa.stft with its defaults (hann window, win_length = n_fft, center=True), magnitude
spectrogram S; the two waves are cropped to the shorter one; then

    LSD = mean_t sqrt( mean_f ( log10( S_ref² / (S_est + 1e-12)² + 1e-12 ) )² )

i.e. log10 of the power ratio, without the ×10 of dB. We pin center padding explicitly to
"constant" (zeros; librosa ≥ 0.10's default) and compute in float64.

One explicit deviation (version 2): a bin where BOTH magnitudes are exactly zero (digital
silence, e.g. a zero-padded clip compared with itself) counts as a ratio of 1. The literal
formula gives log10(1e-12)² = 144 there, so identical signals would not score 0.
"""
from __future__ import annotations

import librosa
import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult, finite
from bench.metrics.common import Feats, mean_result, role_feats, take

EPS = 1e-12
PAD_MODE = "constant"


def stft_params(sr: int) -> tuple[int, int]:
    """(n_fft, hop) of ssr_eval at this sample rate: about 46 ms windows, 10 ms hops."""
    return int(2048 / (44100 / sr)), int(sr / 100)


def magnitude(wave: np.ndarray, sr: int) -> np.ndarray:
    """|STFT| (freq, frames), float64."""
    n_fft, hop = stft_params(sr)
    x = np.asarray(wave, dtype=np.float64)
    return np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, window="hann", center=True,
                               pad_mode=PAD_MODE))


def lsd(est: np.ndarray, ref: np.ndarray, sr: int) -> float:
    """LSD between an estimate and a reference wave (both mono (n,)), cropped to the shorter."""
    est, ref = np.asarray(est), np.asarray(ref)
    if est.ndim != 1 or ref.ndim != 1:
        raise ValueError(f"LSD needs mono (samples,) waves, got {est.shape} and {ref.shape}")
    n = min(est.size, ref.size)
    n_fft, _ = stft_params(sr)
    if n < n_fft // 2 + 1:  # librosa's constant-padded STFT still needs a frame's worth of signal
        raise ValueError(f"LSD: waves too short ({n} samples at {sr} Hz)")
    finite(est[:n].astype(np.float64), "estimate wave")
    finite(ref[:n].astype(np.float64), "reference wave")
    s_est, s_ref = magnitude(est[:n], sr), magnitude(ref[:n], sr)
    ratio = s_ref ** 2 / (s_est + EPS) ** 2
    ratio[(s_ref == 0) & (s_est == 0)] = 1.0  # 0/0 in digital silence: identical, not -12 decades
    log_ratio = np.log10(ratio + EPS)  # (freq, frames)
    per_frame = np.sqrt(np.mean(log_ratio ** 2, axis=0))  # (frames,)
    return float(finite(np.asarray(per_frame.mean()), "LSD"))


class LSD(Metric):
    """Per-item LSD of the generated audio against the item's target; mean over items."""

    name = "lsd"
    version = "2"  # 2: bins silent in both signals count as equal (see module docstring)
    higher_is_better = False

    def __init__(self, sample_rate: int = 16000, variant: str = "ssr-eval", paper_protocol: bool = True):
        from bench.extractors.waveform import WaveformExtractor

        self.sample_rate = sample_rate
        self.variant = variant
        self.paper_protocol = paper_protocol
        self.extractor = WaveformExtractor(sample_rate).name
        self.needs = {"gen": self.extractor, "target": self.extractor}

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        gen = role_feats(feats, "gen", len(items))
        ref = role_feats(feats, "target", len(items))
        per_item: list[float | None] = []
        not_applicable: list[int] = []
        length_gap = []
        for i, item in enumerate(items):
            if item.target is None:
                not_applicable.append(i)
                per_item.append(None)
                continue
            g = take(gen[i], "samples", f"{self.key} item {item.id} gen")
            r = take(ref[i], "samples", f"{self.key} item {item.id} target")
            if g is None or r is None:
                per_item.append(None)
                continue
            length_gap.append(abs(len(g) - len(r)) / self.sample_rate)
            per_item.append(lsd(g, r, self.sample_rate))
        extra = {"sample_rate": self.sample_rate, "pad_mode": PAD_MODE, "silent_bins": "0/0 counts as ratio 1",
                 "max_length_gap_s": max(length_gap) if length_gap else None}
        return mean_result(per_item, not_applicable, extra, what=self.key)


def lsd_ssr_eval() -> LSD:
    return LSD(16000, "ssr-eval")


def lsd_ssr_eval_24k() -> LSD:
    """At 24 kHz: UniFlow-Audio's SR evaluation rate (its VAE works at 24 kHz)."""
    return LSD(24000, "ssr-eval-24k", paper_protocol=False)  # the paper does not name its LSD recipe


def lsd_ssr_eval_44k() -> LSD:
    return LSD(44100, "ssr-eval-44.1k")
