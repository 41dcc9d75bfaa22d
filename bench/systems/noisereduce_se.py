"""noisereduce: a classical speech-enhancement baseline, spectral gating from the maintained
``noisereduce`` package (Sainburg et al.), on the noisy input (item.source) of ``denoise`` items.

``noisereduce.reduce_noise(y, sr, stationary=False, prop_decrease=1.0)``: the package's own defaults
throughout (non-stationary gating: the noise threshold follows a smoothed running estimate of each
frequency band, so no separate noise clip is needed; n_fft 1024, time_constant_s 2.0). Nothing was
tuned on a test set. Spectral gating assumes slowly varying noise: on the mini set's looped real
sound events it lowers PESQ / SI-SDR below no processing while raising DNSMOS BAK (README numbers).
The input is read at its own rate; the output keeps it, cropped or zero-padded to item.seconds
and peak-limited to 0.99 (scaled down, never up)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from bench.item import Item
from bench.systems.base import Generated, System, read_source
from unison.core.signal import fit_length, peak_limit

SETTINGS = {"stationary": False, "prop_decrease": 1.0}  # the package defaults, stated (no tuning)


class NoiseReduceSystem(System):
    name = "noisereduce"
    tasks = ("denoise",)
    batch_size = 8

    def available(self) -> str | None:
        try:
            import noisereduce  # noqa: F401
        except ImportError as e:
            return f"the noisereduce package is not installed ({e}); pip install 'noisereduce==3.0.3'"
        return None

    def signature(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"system": "noisereduce", "version": "1", "package": f"noisereduce {version('noisereduce')}",
                "call": "reduce_noise(y, sr, **settings)", "settings": SETTINGS, "peak_limit": 0.99,
                "fit": "crop / zero-pad at the end to item.seconds"}

    def generate(self, items: list[Item], root: Path) -> Iterator[Generated]:
        import noisereduce

        for it in items:
            wave, sr = read_source(it, root, "noisy input")
            out = noisereduce.reduce_noise(y=np.asarray(wave, np.float32), sr=sr, **SETTINGS)
            yield Generated(peak_limit(fit_length(np.asarray(out, np.float32), it.samples(sr)), 0.99), sr)
