"""OpenL3 (Cramer et al., 2019) frame embeddings for FD_openl3 as stable-audio-metrics computes it
(the Stable Audio / Stable Audio Open text-to-audio and text-to-music protocol).

Protocol (Stability-AI/stable-audio-metrics ``src/openl3_fd.py``, pinned in its requirements.txt
to openl3 0.4.2, kapre 0.3.7, TensorFlow 2.13):

- each file is read at its own rate, peak-normalised to -1 dBFS (``pyloudnorm.normalize.peak``),
  resampled with ``soxr.resample`` (quality HQ) to ``samplingrate`` (its "evaluation bandwidth",
  at most 48 kHz; its examples use 44.1 kHz), and handed to ``openl3.get_audio_embedding`` with
  the model ``load_audio_embedding_model(input_repr="mel256", content_type=<music|env>,
  embedding_size=512)`` and ``hop_size=0.5`` (``content_type`` is "music" for MusicCaps and Song
  Describer, "env" for AudioCaps);
- openl3 (``openl3/core.py``) resamples to 48 kHz when needed (resampy kaiser_best; not at
  ``samplingrate=48000``), centres (prepends 0.5 s of zeros = half the 1 s window), zero-pads the
  end so the last hop is complete (or to 1 s), and cuts 1 s windows every 0.5 s;
- the network (``openl3/models.py``, ``_construct_mel256_audio_network``): kapre 0.3.7's
  ``get_melspectrogram_layer(n_fft=2048, hop_length=242, n_mels=256, sample_rate=48000,
  pad_end=True)`` = |tf.signal.stft| (periodic Hann, 2048-point, end zero-padded: 199 frames),
  librosa's Slaney mel filterbank (htk=False, norm="slaney", 0 Hz to Nyquist) on the magnitude,
  then openl3's kapre-0.1.4 decibel scaling 10 log10(max(x, 1e-10)) minus the window's maximum,
  floored at -80 dB; a batch norm; four blocks of two 3x3 "same" convolutions (64, 128, 256, 512
  filters) each followed by batch norm (Keras epsilon 1e-3) and ReLU, except the last convolution
  (``audio_embedding_layer``: no batch norm, no ReLU), with 2x2 stride-2 max pooling after blocks
  1-3; the 512-d embedding is the max of that last map over its 32 x 24 (mel x time) positions;
- FD: every window embedding of every file is one sample (a 10 s clip gives 20), mean and
  ``np.cov`` of each set, ``scipy.linalg.sqrtm`` Fréchet distance.

This variant (``fd@openl3-mel256-<music|env>-512-48k-mono``, metric version 1) is their call with
``samplingrate=48000`` and ``channels=1``. Deviations, documented:

- channels: the published numbers use ``channels=2`` (left and right embedded separately and
  concatenated to 1024-d; a mono file is "faked" to stereo by copying it). The bench's loader hands
  mono (the mean of the channels, which is also what their ``channels=1`` path gives), and for a
  mono file their ``channels=2`` embedding is [e, e], whose FD is exactly twice the ``channels=1``
  FD reported here.
- order: the runner resamples (soxr HQ, as theirs) before the peak normalisation, they normalise
  first. The gain hardly matters: the front end subtracts each window's maximum in dB, so a global
  gain cancels (only the 1e-10 floor sees it). A silent clip stays silent here (theirs divides by a
  zero peak and gives NaN).
- rate: their published examples evaluate at 44.1 kHz (then resampy to 48 kHz); this variant uses
  their 48 kHz setting, where no second resampler runs.
- the Fréchet distance is bench.metrics.frechet's (eigh square root) instead of scipy's sqrtm.

Weights: the published Keras HDF5 weights of openl3 0.4.x, ``openl3_audio_mel256_<music|env>-v0_4_0
.h5.gz`` on the marl/openl3 GitHub "models" branch (``pip install openl3`` downloads and gunzips the
same file into the package as ``openl3_audio_mel256_<type>.h5``; either form is read). They carry
no front-end weights (openl3 0.4.0 removed the kapre 0.1.4 spectrogram layers from them): the
layers with weights are, in the network's order, 8 batch norms and 8 convolutions, which Keras's
``load_weights`` (and this loader) assign in that order; names are not used, shapes are checked.

Why a module here rather than a package: openl3 itself needs TensorFlow and downloads its weights
from GitHub while installing (not installable offline); ``torchopenl3`` (the PyTorch port) rebuilds
the openl3 0.3.1 front end of kapre 0.1.4 (HTK mel, centred "same" STFT padding), not the openl3
0.4.2 / kapre 0.3.7 one stable-audio-metrics runs, and downloads its own converted weights.
The network is 17 standard layers; the filterbank is librosa's (the function kapre calls), the STFT
torch's. The conformance test (tests/bench/extractors/test_openl3.py) checks this module against
kapre 0.3.7's own layers and Keras's own loading of the same .h5 on a real recording.
"""
from __future__ import annotations

import gzip
import io
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from bench.extractors.base import Extractor
from bench.extractors.weights_common import ResolvedWeights
from unison.core.weights import WeightSpec, resolve

SAMPLE_RATE = 48000
WINDOW = 48000  # 1 s
HOP_SECONDS = 0.5
HOP = int(HOP_SECONDS * SAMPLE_RATE)
N_FFT = 2048
STFT_HOP = 242
N_MELS = 256
AMIN = 1e-10
DYNAMIC_RANGE = 80.0
BN_EPS = 1e-3  # Keras BatchNormalization default
WIDTHS = (64, 64, 128, 128, 256, 256, 512, 512)  # the eight convolutions
PEAK_DBFS = -1.0
MODELS_URL = "https://github.com/marl/openl3/raw/models/"


def weights_spec(content_type: str) -> WeightSpec:
    filename = f"openl3_audio_mel256_{content_type}-v0_4_0.h5.gz"
    return WeightSpec(
        name=f"openl3-mel256-{content_type}",
        filename=filename,
        env=f"UNISON_OPENL3_MEL256_{content_type.upper()}",
        how_to_get=f"download {MODELS_URL}{filename} (the marl/openl3 'models' branch; the gunzipped "
                   f"openl3_audio_mel256_{content_type}.h5 that `pip install openl3` leaves in its package works too)",
        url=MODELS_URL + filename,
    )


WEIGHTS = {"music": weights_spec("music"), "env": weights_spec("env")}


# ---------------------------------------------------------------- the network


class MelFrontEnd(nn.Module):
    """1 s at 48 kHz -> (1, 256 mels, 199 frames) in dB relative to the window's maximum."""

    def __init__(self):
        super().__init__()
        import librosa

        fb = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=None, htk=False,
                                 norm="slaney")
        self.register_buffer("mel", torch.from_numpy(fb.astype(np.float32)), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, samples)
        n = x.shape[-1]
        frames = -(-n // STFT_HOP)  # tf.signal.frame(pad_end=True): ceil(n / hop) frames
        x = nn.functional.pad(x, (0, (frames - 1) * STFT_HOP + N_FFT - n))
        mag = torch.stft(x, N_FFT, STFT_HOP, window=self.window, center=False, return_complex=True).abs()
        mel = self.mel @ mag  # (B, 256, frames)
        db = 10.0 * torch.log10(torch.clamp(mel, min=AMIN))
        db = db - db.amax(dim=(1, 2), keepdim=True)
        return torch.clamp(db, min=-DYNAMIC_RANGE)[:, None]


class OpenL3Audio(nn.Module):
    """openl3's mel256 audio network, channels-first: BN, 4 x (conv-BN-ReLU x 2, pool), last conv
    without BN / ReLU, global max -> ``widths[-1]`` (512)."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.front = MelFrontEnd()
        self.bn0 = nn.BatchNorm2d(1, eps=BN_EPS)
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        c_in = 1
        for k, c in enumerate(widths):
            self.convs.append(nn.Conv2d(c_in, c, 3, padding=1))
            if k < len(widths) - 1:
                self.bns.append(nn.BatchNorm2d(c, eps=BN_EPS))
            c_in = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 48000) -> (B, 512)
        y = self.bn0(self.front(x))
        for k, conv in enumerate(self.convs):
            y = conv(y)
            if k == len(self.convs) - 1:
                break
            y = torch.relu(self.bns[k](y))
            if k % 2 == 1:
                y = nn.functional.max_pool2d(y, 2, 2)
        return y.amax(dim=(2, 3))


# ---------------------------------------------------------------- the Keras HDF5 weights file


def _open_h5(path: Path):
    import h5py

    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"OpenL3: cannot gunzip {path}: {err}") from err
    try:
        return h5py.File(io.BytesIO(raw), "r")
    except OSError as err:
        raise ValueError(f"OpenL3: {path} is not a readable HDF5 file ({str(err).splitlines()[0]})") from err


def _weighted_layers(f, path: Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """(layer name, {weight kind: array}) of the layers with weights, in the file's (topological) order."""
    root = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
    if "layer_names" not in root.attrs:
        raise ValueError(f"OpenL3: {path} is HDF5 but not a Keras weights file (no 'layer_names' attribute)")
    out = []
    for raw in root.attrs["layer_names"]:
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        g = root[name]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in g.attrs.get("weight_names", [])]
        if names:
            out.append((name, {n.split("/")[-1].split(":")[0]: np.asarray(g[n]) for n in names}))
    return out


def state_dict_from_keras(path: Path) -> tuple[dict[str, torch.Tensor], tuple[int, ...]]:
    """Our state dict from openl3's Keras .h5: BN, then (conv, BN) x 7, then the embedding conv."""
    with _open_h5(path) as f:
        layers = _weighted_layers(f, path)
    kinds = ["bn" if set(w) == {"gamma", "beta", "moving_mean", "moving_variance"} else
             "conv" if set(w) == {"kernel", "bias"} else f"?{sorted(w)}" for _, w in layers]
    expected = ["bn"] + ["conv", "bn"] * 7 + ["conv"]
    if kinds != expected:
        raise ValueError(f"OpenL3: {path}: its weighted layers {list(zip([n for n, _ in layers], kinds))} are not "
                         f"openl3's mel256 audio network (batch norm, then 7 x (conv, batch norm), then conv). "
                         "Is this the published file?")
    sd: dict[str, torch.Tensor] = {}
    widths = []
    c_in = 1
    for k, (name, w) in enumerate(layers):
        if k == 0:
            prefix = "bn0"
        elif k % 2 == 1:
            prefix = f"convs.{k // 2}"
        else:
            prefix = f"bns.{k // 2 - 1}"
        if kinds[k] == "conv":
            kernel = w["kernel"]
            if kernel.ndim != 4 or kernel.shape[:3] != (3, 3, c_in) or w["bias"].shape != kernel.shape[3:]:
                raise ValueError(f"OpenL3: {path}: layer {name} has kernel {kernel.shape} / bias {w['bias'].shape}, "
                                 f"expected (3, 3, {c_in}, C) / (C,)")
            c_in = kernel.shape[3]
            widths.append(c_in)
            sd[f"{prefix}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
            sd[f"{prefix}.bias"] = torch.from_numpy(w["bias"])
        else:
            shapes = {v.shape for v in w.values()}
            if shapes != {(c_in,)}:
                raise ValueError(f"OpenL3: {path}: batch norm {name} has shapes {sorted(shapes)}, expected ({c_in},)")
            sd[f"{prefix}.weight"] = torch.from_numpy(w["gamma"])
            sd[f"{prefix}.bias"] = torch.from_numpy(w["beta"])
            sd[f"{prefix}.running_mean"] = torch.from_numpy(w["moving_mean"])
            sd[f"{prefix}.running_var"] = torch.from_numpy(w["moving_variance"])
            sd[f"{prefix}.num_batches_tracked"] = torch.tensor(0)
    return {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}, tuple(widths)


def load_openl3(path: Path, widths: tuple[int, ...] | None = WIDTHS) -> OpenL3Audio:
    """The network with the file's weights; ``widths`` (the published 64..512) is enforced unless None."""
    from bench.extractors.weights_common import load_strict

    sd, got = state_dict_from_keras(path)
    if widths is not None and got != tuple(widths):
        raise ValueError(f"OpenL3: {path}: convolution widths {got}, the published network has {tuple(widths)}")
    model = OpenL3Audio(got)
    load_strict(model, sd, f"OpenL3 ({path})")
    return model.eval()


# ---------------------------------------------------------------- audio -> windows


def peak_normalize(wave: np.ndarray, dbfs: float = PEAK_DBFS) -> np.ndarray:
    """pyloudnorm.normalize.peak's gain (peak -> ``dbfs``); a silent clip is returned unchanged."""
    x = np.asarray(wave, dtype=np.float64)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (10.0 ** (dbfs / 20.0) / peak) if peak > 0 else x).astype(np.float32)


def windows(wave: np.ndarray) -> np.ndarray:
    """openl3's framing at 48 kHz, centre=True, hop 0.5 s: (n_windows, 48000)."""
    x = np.asarray(wave, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"OpenL3: expected a non-empty mono wave, got shape {x.shape}")
    x = np.concatenate([np.zeros(WINDOW // 2, np.float32), x])
    n = 1 if x.size <= WINDOW else 1 + -(-(x.size - WINDOW) // HOP)
    x = np.pad(x, (0, max(0, (n - 1) * HOP + WINDOW - x.size)))
    return np.stack([x[i * HOP: i * HOP + WINDOW] for i in range(n)])


class OpenL3Extractor(ResolvedWeights, Extractor):
    sample_rate = SAMPLE_RATE
    batch_size = 2

    def __init__(self, content_type: str, weights: str | Path | None = None):
        super().__init__(weights)
        self.content_type = content_type
        self.spec = WEIGHTS[content_type]
        self.name = f"openl3-mel256-{content_type}-512-48k-mono"

    def signature(self) -> dict[str, Any]:
        return {"model": f"openl3 0.4.x audio mel256 {self.content_type}, embedding 512 (max over 32 x 24)",
                **self.weights_signature(), "sample_rate": SAMPLE_RATE,
                "front_end": "kapre 0.3.7 melspectrogram: n_fft 2048, hop 242, pad_end, periodic Hann, |STFT|, "
                             "256 Slaney mels; 10 log10(max(x, 1e-10)) - max, floor -80 dB",
                "windows": "1 s, hop 0.5 s, centred (0.5 s of zeros first), end zero-padded",
                "input": "peak-normalised to -1 dBFS after the runner's resampling (soxr HQ); mono",
                "frames": "one 512-d row per window"}

    @cached_property
    def model(self) -> OpenL3Audio:
        return load_openl3(resolve(self.spec, self.weights))

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for w in waves:
            win = torch.from_numpy(windows(peak_normalize(w)))
            emb = torch.cat([self.model(win[i:i + 8]) for i in range(0, len(win), 8)]).numpy()
            out.append({"frames": emb.copy()})
        return out


def build_music(weights: str | Path | None = None) -> OpenL3Extractor:
    return OpenL3Extractor("music", weights)


def build_env(weights: str | Path | None = None) -> OpenL3Extractor:
    return OpenL3Extractor("env", weights)
