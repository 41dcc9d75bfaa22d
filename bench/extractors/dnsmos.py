"""DNSMOS P.835 (SIG / BAK / OVRL) and P.808 MOS, computed by the ``speechmos`` package's own
``DNSMOS`` class with the ONNX models shipped inside its wheel (so it runs offline).

Protocol (speechmos 0.0.1.1, ``speechmos/dnsmos.py``, Microsoft's DNS-Challenge
``dnsmos_local.py``): 16 kHz mono; a clip shorter than 9.01 s is repeated (concatenated with
itself) until it is at least 9.01 s long; windows of 9.01 s with a 1 s hop; per window the P.835
model ``sig_bak_ovr.onnx`` takes the raw samples and its three raw outputs go through the
non-personalised cubic polynomials (OVRL -0.06766283 x^2 + 1.11546468 x + 0.04602535, SIG
-0.08397278 x^2 + 1.22083953 x + 0.0052439, BAK -0.13166888 x^2 + 1.60915514 x - 0.39604546);
the P.808 model ``model_v8.onnx`` takes a 120-band mel (n_fft 321, hop 160, power_to_db(ref=max)
+ 40) / 40) of the window minus its last 160 samples. Each score is the mean over windows.

Bad input: samples outside [-1, 1] (the reference refuses them), an empty clip (the reference
would loop forever while repeating it) or NaN/inf give ``{"error": reason}`` for that clip, which
the metric reports as that item's failure.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bench.extractors.base import Extractor, cpu_threads
from unison.core.weights import cached_sha256

SAMPLE_RATE = 16000


def model_files() -> dict[str, Path]:
    import speechmos

    root = Path(speechmos.__file__).parent
    return {"p835": root / "dnsmos_models" / "sig_bak_ovr.onnx", "p808": root / "dnsmos_models" / "model_v8.onnx"}


class DNSMOSExtractor(Extractor):
    name = "dnsmos-speechmos"
    sample_rate = SAMPLE_RATE
    batch_size = 16

    def available(self) -> str | None:
        try:
            files = model_files()
        except ImportError:
            return "unavailable: the speechmos package is not installed (pip install speechmos==0.0.1.1)"
        missing = [str(p) for p in files.values() if not p.is_file()]
        return f"unavailable: DNSMOS models missing from the speechmos wheel: {missing}" if missing else None

    def signature(self) -> dict[str, Any]:
        import speechmos.dnsmos as ref

        files = model_files()
        return {
            "model": "DNSMOS (speechmos 0.0.1.1 DNSMOS class, non-personalised)",
            "p835_onnx_sha256": cached_sha256(files["p835"]), "p808_onnx_sha256": cached_sha256(files["p808"]),
            "sample_rate": SAMPLE_RATE, "input_length_s": ref.INPUT_LENGTH, "hop_s": 1.0,
            "short_clip": "repeated until >= 9.01 s", "polynomials": "non-personalised P.835 (see module doc)",
            "p808_features": "120 mels, n_fft 321, hop 160, (power_to_db(ref=max)+40)/40, window[:-160]",
            "aggregate": "mean over 9.01 s windows", "version": 1,
        }

    @cached_property
    def model(self):
        from speechmos.dnsmos import DNSMOS

        import onnxruntime as ort

        files = model_files()
        dnsmos = DNSMOS(str(files["p835"]), str(files["p808"]))
        # the same two model files in sessions bounded to this process's threads (the reference's own
        # sessions take every core, which two `default --jobs` workers would contend for)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = cpu_threads(), 1
        dnsmos.onnx_sess = ort.InferenceSession(str(files["p835"]), opts, providers=["CPUExecutionProvider"])
        dnsmos.p808_onnx_sess = ort.InferenceSession(str(files["p808"]), opts, providers=["CPUExecutionProvider"])
        return dnsmos

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for w in waves:
            x = np.asarray(w, dtype=np.float32)
            if x.ndim != 1 or x.size == 0:
                out.append({"error": f"DNSMOS needs a non-empty mono clip, got shape {x.shape}"})
            elif not np.all(np.isfinite(x)):
                out.append({"error": "DNSMOS: NaN/inf samples"})
            elif float(np.max(np.abs(x))) > 1.0:
                out.append({"error": f"DNSMOS: samples outside [-1, 1] (peak {float(np.max(np.abs(x))):.3f}); "
                                     "the reference refuses them and rescaling would change the score"})
            else:
                r = self.model(x, SAMPLE_RATE, False)
                out.append({"sig": float(r["sig_mos"]), "bak": float(r["bak_mos"]), "ovrl": float(r["ovrl_mos"]),
                            "p808": float(r["p808_mos"])})
        return out


def build() -> DNSMOSExtractor:
    return DNSMOSExtractor()
