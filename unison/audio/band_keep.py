"""Bandwidth extension keeps the band it was given: the output's STFT bins below the input's cut-off
are replaced by the input's own bins (``sample.sr_keep_input_band``).

Why: the model re-synthesises the whole spectrum through the codec, which cannot return the
input's low band as exactly as the input already holds it, so the part of the answer that is known
is taken from the input and only the band above it from the model. Super-resolution systems do this
as a post-processing step (low-frequency replacement, as in AudioSR); UniFlow-Audio does not say
whether it does.

The cut-off is read from the input itself, never from the instruction: the lowest STFT bin below
which all but ``CUTOFF_RESIDUAL`` of the input's energy lies: the edge of the band the input
actually has (on a brick-wall low-pass, the cut-off within the window's leakage), so the model's
band above it is not overwritten by the input's empty one.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import istft, stft

from unison.core.signal import fit_length

N_FFT = 2048  # about 93 ms at 22.05 kHz: bins of 10.8 Hz
HOP = 512
CUTOFF_RESIDUAL = 1e-4  # energy fraction allowed above the detected cut-off (-40 dB)
RULE = (f"STFT (hann, n_fft {N_FFT}, hop {HOP}) bins below the input's cut-off taken from the input; cut-off = "
        f"lowest bin with at most {CUTOFF_RESIDUAL:g} of the input's energy above it")


def band_rule(enabled: bool) -> str:
    """What a super_resolution output is, for signatures and results."""
    return f"input band kept: {RULE}" if enabled else "the decoded output as it is"


def _stft(x: np.ndarray) -> np.ndarray:
    return stft(x.astype(np.float64), nperseg=N_FFT, noverlap=N_FFT - HOP, window="hann", boundary="even",
                padded=True)[2]


def _cutoff_of(spec: np.ndarray) -> int:
    """The first bin above the band of the signal whose STFT is ``spec`` (0 when it is silent)."""
    power = (np.abs(spec) ** 2).sum(axis=1)
    total = float(power.sum())
    if total <= 0.0:
        return 0
    above = total - np.cumsum(power)  # energy above each bin
    return int(np.argmax(above <= CUTOFF_RESIDUAL * total)) + 1


def cutoff_bin(source: np.ndarray) -> int:
    """The first bin above the input's band (0 for a silent input: nothing is kept)."""
    return _cutoff_of(_stft(source))


def cutoff_hz(source: np.ndarray, sample_rate: int) -> float:
    return cutoff_bin(source) * sample_rate / N_FFT


def keep_input_band(output: np.ndarray, source: np.ndarray) -> np.ndarray:
    """``output`` (float32, n samples) with its bins below the source's cut-off replaced by the
    source's; the source is cropped / zero-padded to n first."""
    n = output.shape[0]
    spec_src = _stft(fit_length(source, n))
    k = _cutoff_of(spec_src)
    if k == 0:
        return output
    spec_out = _stft(output)
    spec_out[:k] = spec_src[:k]
    wave = istft(spec_out, nperseg=N_FFT, noverlap=N_FFT - HOP, window="hann", boundary=True)[1]
    return fit_length(wave, n).astype(np.float32)
