"""spectral-replication: a classical bandwidth-extension baseline for ``super_resolution`` items
(spectral band replication, the idea of HE-AAC's SBR without its side information).

The cut-off is read from the instruction ("... above <x> kHz ..."), not from the test set's meta.
STFT of the input (Hann, n_fft 512, hop 128, scipy.signal.stft at the input's own rate); every bin
at or above the cut-off bin kc takes the complex value of a source bin in the band just below the
cut-off, [kc - w - g, kc - g) with w = kc // 2 and a guard g = kc // 10 (the filter's roll-off),
repeated upwards as often as needed (bin k <- kc - g - w + (k - kc) mod w); each copied value is
scaled by f_source / f_target (a -6 dB per octave spectral tilt). Bins below the cut-off are the
input's own. inverse STFT, cropped / zero-padded to item.seconds, peak-limited to 0.99 (scaled down,
never up). A bandwidth-extension guess: it fills the empty band with plausible energy (LSD) and
costs waveform fidelity (SI-SDR)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from bench.item import Item
from bench.systems.base import Generated, ItemError, System
from unison.core.audio import read_mono
from unison.core.signal import fit_length, peak_limit

N_FFT, HOP = 512, 128
_CUTOFF = re.compile(r"above (\d+(?:\.\d+)?) kHz", re.I)


def replicate(x: np.ndarray, sr: int, cutoff_hz: float) -> np.ndarray:
    from scipy.signal import istft, stft

    f, _, spec = stft(x, fs=sr, window="hann", nperseg=N_FFT, noverlap=N_FFT - HOP)
    kc = int(np.ceil(cutoff_hz / (sr / N_FFT)))
    w, g = max(kc // 2, 1), kc // 10
    if kc - g - w < 1 or kc >= len(f):
        return np.asarray(x, np.float64)
    out = spec.copy()
    for k in range(kc, len(f)):
        src = kc - g - w + (k - kc) % w
        out[k] = spec[src] * (f[src] / f[k])
    _, y = istft(out, fs=sr, window="hann", nperseg=N_FFT, noverlap=N_FFT - HOP)
    return fit_length(y, len(x))


class BandReplicationSystem(System):
    name = "spectral-replication"
    tasks = ("super_resolution",)
    batch_size = 16

    def signature(self) -> dict[str, Any]:
        return {"system": "spectral-replication", "version": "1", "stft": {"window": "hann", "n_fft": N_FFT,
                "hop": HOP}, "source_band": "[kc - kc//2 - kc//10, kc - kc//10)", "tilt": "f_source / f_target",
                "cutoff": "parsed from the instruction ('above <x> kHz')", "peak_limit": 0.99}

    def generate(self, items: list[Item], root: Path) -> Iterator[Generated]:
        for it in items:
            found = _CUTOFF.search(it.instruction)
            if it.source is None or found is None:
                raise ItemError(f"missing: item {it.id!r} needs an input (item.source) and a cut-off "
                                f"('above <x> kHz') in its instruction")
            wave, sr = read_mono(Path(root) / it.source)
            y = replicate(np.asarray(wave, np.float64), sr, 1000.0 * float(found.group(1)))
            yield Generated(peak_limit(fit_length(y, it.samples(sr)).astype(np.float32), 0.99), sr)
