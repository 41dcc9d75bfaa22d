"""A small Vocos vocoder (ConvNeXt backbone at frame rate + inverse-STFT head) trained by this
repository on the tiny22k mel (22.05 kHz, 80 mels, n_fft 1024, hop 256, 0-8000 Hz, natural log),
so it drops in behind the tiny VAE in place of HiFi-GAN at a fraction of the CPU cost.

The modules are the ``vocos`` package's own (``VocosBackbone``: conv embed k=7 -> LayerNorm ->
ConvNeXt blocks -> LayerNorm; ``ISTFTHead``: Linear -> log-magnitude + phase -> iSTFT with "same"
padding). Its "same" padding places frame t's window over samples [t*hop - (n_fft - hop)/2, ...),
exactly where the project's mel front end (reflect pad (n_fft - hop)/2, center=False) took it
from, and gives exactly frames * hop samples. The package's published weights are for other mel
front ends (and live on a hub); ours are trained by ``unison train-vocoder``
(``unison.train.vocoder_fit``).

Weights file (``audio.vocoder.path``, resolved like ``audio.vae.path``): safetensors with the
state dict and metadata ``format`` = ``unison-vocos-v1``, ``arch`` (JSON of VocosArch) and ``mel``
(JSON of the MelConfig it was trained on, checked field by field against the configured one).
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from torch import nn

from unison.audio.vocoder.base import Vocoder, VocoderUnavailableError
from unison.config import MelConfig

log = logging.getLogger(__name__)

FORMAT = "unison-vocos-v1"


class VocosWeightsError(ValueError):
    """A vocos weights file exists but is not one this class can load (format, arch or tensors)."""


@dataclass(frozen=True)
class VocosArch:
    """The generator's shape. n_fft / hop_length are the iSTFT's and must match the mel's."""

    n_mels: int = 80
    dim: int = 192
    intermediate_dim: int = 576
    num_layers: int = 8
    n_fft: int = 1024
    hop_length: int = 256

    @classmethod
    def from_dict(cls, d: dict) -> "VocosArch":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise VocosWeightsError(f"unknown vocos arch fields {unknown}; known: {sorted(known)}")
        return cls(**d)

    def validate(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"VocosArch.{f.name} must be a positive int, got {v!r}")
        if (self.n_fft - self.hop_length) % 2:
            raise ValueError(f"VocosArch: n_fft - hop_length must be even ('same' iSTFT padding), got "
                             f"{self.n_fft} - {self.hop_length}")


def _vocos_modules():
    try:
        from vocos.heads import ISTFTHead
        from vocos.models import VocosBackbone
    except ImportError as e:
        raise VocoderUnavailableError(f"the vocos vocoder needs the vocos package: pip install vocos==0.1.0 ({e})") from e
    return VocosBackbone, ISTFTHead


class VocosGenerator(nn.Module):
    """log mel (B, n_mels, frames) -> wave (B, frames * hop_length)."""

    def __init__(self, arch: VocosArch):
        super().__init__()
        arch.validate()
        VocosBackbone, ISTFTHead = _vocos_modules()
        self.arch = arch
        self.backbone = VocosBackbone(arch.n_mels, arch.dim, arch.intermediate_dim, arch.num_layers)
        self.head = ISTFTHead(arch.dim, arch.n_fft, arch.hop_length, padding="same")

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(mel))


def _mel_dict(mel: MelConfig) -> dict:
    return {f.name: getattr(mel, f.name) for f in fields(MelConfig)}


class VocosVocoder(Vocoder):
    """The trained generator behind the Vocoder interface. ``vocode`` runs each item of a batch on
    its own: matmul and convolution kernels choose their blocking by problem size, so one forward
    over a batch could round an item differently depending on its batch-mates (measured: see
    checkpoints/tiny/vocoder_bench.py)."""

    def __init__(self, generator: VocosGenerator, mel: MelConfig, name: str = "vocos"):
        super().__init__()
        arch = generator.arch
        if (arch.n_mels, arch.n_fft, arch.hop_length) != (mel.n_mels, mel.n_fft, mel.hop_length):
            raise ValueError(f"vocos arch (n_mels {arch.n_mels}, n_fft {arch.n_fft}, hop {arch.hop_length}) does not "
                             f"match its mel (n_mels {mel.n_mels}, n_fft {mel.n_fft}, hop {mel.hop_length})")
        self.generator = generator
        self.mel_cfg = mel
        self.sample_rate, self.hop_length, self.n_mels, self.mel_log = (mel.sample_rate, mel.hop_length,
                                                                        mel.n_mels, mel.log)
        self.name = name

    def check_mel_config(self, mel: MelConfig) -> None:
        """Every mel field must equal the trained one (f_max, n_fft, clamp too, not only rate/hop/bins)."""
        super().check_mel_config(mel)
        want, got = _mel_dict(self.mel_cfg), _mel_dict(mel)
        bad = [f"mel.{k}={got[k]!r} (vocoder needs {want[k]!r})" for k in want if got[k] != want[k]]
        if bad:
            raise ValueError(f"{self.name} does not fit the configured mel front end: {', '.join(bad)}")

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.generator(mel[i:i + 1]) for i in range(mel.shape[0])])

    def vocode_batched(self, mel: torch.Tensor) -> torch.Tensor:
        """One forward over the whole batch (for measurements; not what ``forward`` uses)."""
        return self.generator(mel)


def save_vocos(path: str | Path, generator: VocosGenerator, mel: MelConfig, extra: dict | None = None) -> Path:
    """Write the weights file atomically (state dict + format, arch, mel and ``extra`` metadata)."""
    from safetensors.torch import save

    from unison.core.files import atomic_write_bytes

    meta = {"format": FORMAT, "arch": json.dumps(asdict(generator.arch)), "mel": json.dumps(_mel_dict(mel))}
    for k, v in (extra or {}).items():
        meta[k] = v if isinstance(v, str) else json.dumps(v)
    state = {k: v.detach().contiguous().clone() for k, v in generator.state_dict().items()}
    return atomic_write_bytes(path, save(state, metadata=meta))


def read_vocos(path: str | Path) -> tuple[VocosArch, MelConfig, dict[str, torch.Tensor], dict[str, str]]:
    """(arch, mel, state dict, raw metadata) of a weights file; one readable error if it is not one."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    fix = "Point audio.vocoder.path at a file written by `unison train-vocoder`"
    if not path.is_file():
        raise VocoderUnavailableError(f"vocos weights (audio.vocoder.path) {path} not found. {fix}")
    data = path.read_bytes()
    try:
        state = load(data)
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, ValueError, OSError) as e:
        raise VocosWeightsError(f"{path} is not a safetensors file ({e}). {fix}") from e
    if meta.get("format") != FORMAT:
        raise VocosWeightsError(f"{path}: metadata format is {meta.get('format')!r}, expected {FORMAT!r}. {fix}")
    try:
        arch = VocosArch.from_dict(json.loads(meta["arch"]))
        mel = MelConfig(**json.loads(meta["mel"]))
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise VocosWeightsError(f"{path}: metadata 'arch'/'mel' missing or malformed ({e}). {fix}") from e
    return arch, mel, state, meta


def load_vocos(path: str | Path) -> VocosVocoder:
    """Build the generator from the file's arch, strict-load its tensors, eval and frozen."""
    from unison.audio.state_dicts import state_dict_differences

    arch, mel, state, _ = read_vocos(path)
    gen = VocosGenerator(arch)
    diff = state_dict_differences({k: v.shape for k, v in gen.state_dict().items()}, state)
    if diff:
        raise VocosWeightsError(f"{path} does not fit the vocos arch its metadata names ({arch}): {diff}")
    gen.load_state_dict(state, strict=True)
    voc = VocosVocoder(gen.eval().requires_grad_(False), mel, name=f"Vocos ({Path(path).name})")
    log.info("vocoder: %s, %.2f M params", voc.name, sum(p.numel() for p in gen.parameters()) / 1e6)
    return voc
