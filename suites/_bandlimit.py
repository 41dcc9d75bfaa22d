"""The band-limiting filter of the super-resolution suite (one job: make the low-resolution input).

``lowpass``: scipy.signal.cheby2(ORDER, STOP_DB, cutoff, "low", output="sos") applied forward and
backward (sosfiltfilt): zero phase (the input stays sample-aligned with the target), at least
2 x STOP_DB = 120 dB of attenuation from the cut-off up, -6 dB at about 0.9 x the cut-off (ORDER 16).
The filtered signal keeps the target's sample rate ("keep the target rate": the input is the
band-limited signal at full rate, as NVSR / AudioSR build their low-resolution inputs before their own
resampling; no down-/up-sampling step is involved).
"""
from __future__ import annotations

import numpy as np

ORDER = 16
STOP_DB = 60.0
FILTER = (f"scipy.signal.cheby2(order={ORDER}, rs={STOP_DB:g} dB, Wn=cutoff, 'low', output='sos'), "
          f"sosfiltfilt (zero phase, >= {2 * STOP_DB:g} dB stop band from the cut-off)")


def check_cutoff(cutoff_hz: float, sample_rate: int, suite: str) -> float:
    """A cut-off strictly between 0 and Nyquist, else a config error naming the values."""
    c = float(cutoff_hz)
    if not 0 < c < sample_rate / 2:
        raise ValueError(f"suite {suite!r}: cut-off {c:g} Hz must be above 0 and below the Nyquist frequency "
                         f"{sample_rate / 2:g} Hz of sample_rate {sample_rate}")
    return c


def lowpass(x: np.ndarray, cutoff_hz: float, sample_rate: int) -> np.ndarray:
    from scipy.signal import cheby2, sosfiltfilt

    sos = cheby2(ORDER, STOP_DB, cutoff_hz, "low", fs=sample_rate, output="sos")
    return sosfiltfilt(sos, np.asarray(x, dtype=np.float64))


def energy_above_db(x: np.ndarray, cutoff_hz: float, sample_rate: int) -> float:
    """10 log10(energy above the cut-off / total energy) of a Hann-windowed whole-signal spectrum
    (the check the suite's tests apply to every stored input)."""
    x = np.asarray(x, dtype=np.float64)
    power = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / sample_rate)
    total = float(power.sum())
    if total <= 0:
        raise ValueError("energy_above_db: a silent signal")
    return 10.0 * np.log10(max(float(power[f >= cutoff_hz].sum()), 1e-300) / total)
