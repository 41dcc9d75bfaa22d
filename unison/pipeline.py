"""Inference API: checkpoint -> (DiT, text encoder, codec) -> waveform for any task.

    pipe = UnisonPipeline.from_checkpoint("unison.safetensors", ["sample.steps=50"])
    wave, sr = pipe.generate("tts", "A woman says: hello there.", seconds=5, seed=0)

Generation tasks (m=0) start from zeros in z_s; editing (m=1) encodes the source audio into z_s;
zero-shot TTS (m=2) puts the encoded reference in front of the sequence (as z_s and held on its
known path during sampling) and returns only the synthesized continuation.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from unison.checkpoint import load_checkpoint, load_into
from unison.core.audio import write_float_wav
from unison.config import UnisonConfig
from unison.sampler import NonFiniteLatentError, item_noise, sample
from unison.tasks import EDITING, ZERO_SHOT, TaskSpec, get_task, prefix_source

log = logging.getLogger(__name__)

AudioInput = str | os.PathLike | tuple[np.ndarray, int]  # a file, or (mono wave, sample rate)


class SourceAudioError(ValueError):
    """A source/reference audio file cannot be read or used; the message names the file."""


def overrides_to_dict(overrides: Sequence[str] | dict | None) -> dict:
    """Hydra-style ``a.b=value`` strings (or an already nested dict) -> nested dict."""
    if not overrides:
        return {}
    if isinstance(overrides, dict):
        return overrides
    from omegaconf import OmegaConf

    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise ValueError(f"overrides must look like key=value (e.g. sample.steps=50); got {bad}")
    return OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides)))


def read_audio(src: AudioInput, sample_rate: int, what: str = "source") -> np.ndarray:
    """Mono float32 wave at ``sample_rate`` from a file or a (wave, sr) pair."""
    import soxr

    if isinstance(src, tuple):
        wave, sr = np.asarray(src[0], dtype=np.float32), int(src[1])
        name = f"<{what} array>"
    else:
        import soundfile as sf

        name = str(src)
        if not Path(src).is_file():
            raise SourceAudioError(f"{what} audio file not found: {name}")
        try:
            wave, sr = sf.read(name, dtype="float32", always_2d=True)
        except Exception as e:  # noqa: BLE001 - libsndfile reports many formats of failure
            raise SourceAudioError(f"cannot decode {what} audio file {name}: {e}. "
                                   "Give a WAV/FLAC/OGG file readable by libsndfile.") from e
        wave = wave.mean(axis=1)
    if wave.ndim != 1:
        wave = wave.reshape(-1) if wave.size == max(wave.shape) else wave.mean(axis=-1)
    if wave.size == 0:
        raise SourceAudioError(f"{what} audio {name} is empty")
    if not np.isfinite(wave).all():
        raise SourceAudioError(f"{what} audio {name} contains NaN or inf samples")
    if sr != sample_rate:
        wave = soxr.resample(wave, sr, sample_rate, quality="HQ").astype(np.float32)
    return wave


def fit_length(wave: np.ndarray, samples: int) -> np.ndarray:
    """Crop or zero-pad at the end to exactly ``samples``."""
    if wave.shape[0] >= samples:
        return wave[:samples]
    return np.pad(wave, (0, samples - wave.shape[0]))


@dataclass
class _Sampling:
    steps: int
    cfg_scale: float
    solver: str
    cfg_formula: str


class UnisonPipeline:
    def __init__(self, model: torch.nn.Module, text_encoder: Any, codec: Any, cfg: UnisonConfig,
                 device: str | torch.device = "cpu"):
        self.model, self.text_encoder, self.codec, self.cfg = model.eval(), text_encoder, codec, cfg
        self.device = torch.device(device)
        self.text_layers = list(model.text_layers())
        self.samples_per_frame = 2 * cfg.audio.mel.hop_length  # one latent frame = 2 mel hops
        self._uncond: tuple[Tensor, Tensor] | None = None

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, overrides: Sequence[str] | dict | None = None,
                        device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> "UnisonPipeline":
        """Rebuild the model from the checkpoint's recorded config (+ overrides such as llm.path=...,
        sample.steps=...), load its weights strictly, and build the text encoder and codec."""
        ck = load_checkpoint(path, overrides_to_dict(overrides))  # a missing/foreign file fails first, cheaply
        from unison.audio.codec import build_codec
        from unison.audio.latent_stats import LatentStats
        from unison.model.dit import build_dit
        from unison.text.llm import build_text_encoder

        cfg = ck.config
        model = build_dit(cfg.model)
        load_into(model, ck.state_dict, ck.path)
        model.to(device=device, dtype=dtype)
        stats = LatentStats(ck.latent_mean, ck.latent_std) if ck.latent_mean is not None else None
        codec = build_codec(cfg.audio, stats)
        if hasattr(codec, "to"):
            codec.to(device)
        log.info("loaded %s (step %d, %s)", ck.path, ck.step, cfg.model.name)
        return cls(model, build_text_encoder(cfg.llm), codec, cfg, device)

    @property
    def sample_rate(self) -> int:
        return int(self.codec.sample_rate)

    def _settings(self, steps: int | None, cfg_scale: float | None, solver: str | None) -> _Sampling:
        s = self.cfg.sample
        return _Sampling(steps or s.steps, s.cfg_scale if cfg_scale is None else cfg_scale, solver or s.solver,
                         s.cfg_formula)

    def _text(self, prompts: list[str]) -> tuple[Tensor, Tensor]:
        feats = self.text_encoder.encode(prompts, self.text_layers)
        return feats.hidden.to(self.device), feats.mask.to(self.device)  # (B, n_layers, S, H), (B, S)

    def _uncond_text(self) -> tuple[Tensor, Tensor]:
        if self._uncond is None:  # the empty prompt's features, reused by every call
            self._uncond = self._text([""])
        return self._uncond

    def _encode(self, wave: np.ndarray) -> Tensor:
        with torch.no_grad():
            z = self.codec.encode(torch.from_numpy(wave)[None].to(self.device))  # (1, T, C)
        return z.float()

    @torch.no_grad()
    def generate(self, task: str, text: str, seconds: float, source: AudioInput | None = None,
                 reference: AudioInput | None = None, seed: int = 0, *, steps: int | None = None,
                 cfg_scale: float | None = None, solver: str | None = None) -> tuple[np.ndarray, int]:
        """One clip: (wave float32 (samples,), sample_rate); samples = latent_len(seconds) * 2 * hop."""
        spec = get_task(task)
        if not seconds or seconds <= 0:
            raise ValueError(f"seconds must be > 0, got {seconds!r}")
        frames = int(self.codec.latent_len(seconds))
        sr, spf = self.sample_rate, self.samples_per_frame
        C = self.cfg.model.latent_channels
        z_s, prefix, P = None, None, 0
        if spec.m == EDITING:
            if source is None:
                raise ValueError(f"task {spec.name!r} edits audio: give a source (--source file.wav)")
            z_s = self._encode(fit_length(read_audio(source, sr, "source"), frames * spf))
            if z_s.shape[1] != frames:
                raise SourceAudioError(f"source encoded to {z_s.shape[1]} latent frames, expected {frames}")
        elif spec.m == ZERO_SHOT:
            if reference is None:
                raise ValueError("zero-shot TTS needs a reference speaker clip (--reference ref.wav)")
            ref = read_audio(reference, sr, "reference")
            ref_frames = -(-ref.shape[0] // spf)
            z_ref = self._encode(fit_length(ref, ref_frames * spf))  # (1, P, C)
            P = z_ref.shape[1]
            z_s = prefix_source(z_ref, P + frames)  # (1, P + T, C)
            keep = torch.zeros(1, P + frames, dtype=torch.bool, device=self.device)
            keep[:, :P] = True
            prefix = (z_s, keep)
        elif source is not None or reference is not None:
            raise ValueError(f"task {spec.name!r} is generation: it takes no source or reference audio")
        z = self._sample(spec, [text], P + frames, C, [seed], z_s, prefix, steps, cfg_scale, solver)
        wave = self._decode(z)[0, P * spf:]
        assert wave.shape[0] == frames * spf, (wave.shape, frames, spf)
        return wave, sr

    def _sample(self, spec: TaskSpec, texts: list[str], frames: int, C: int, seeds: list[int], z_s, prefix,
                steps, cfg_scale, solver) -> Tensor:
        st = self._settings(steps, cfg_scale, solver)
        noise = item_noise(seeds, frames, C, self.device)  # (B, T, C)
        return sample(self.model, self._text(texts), noise, z_s=z_s, m=spec.m, uncond_text=self._uncond_text(),
                      cfg_scale=st.cfg_scale, steps=st.steps, solver=st.solver, cfg_formula=st.cfg_formula,
                      prefix=prefix)

    def _decode(self, z: Tensor) -> np.ndarray:
        # One item per decode: convolution kernels, like matmuls, choose their blocking by batch size.
        wave = torch.cat([self.codec.decode(z[i:i + 1].to(self.device)) for i in range(z.shape[0])])
        wave = wave.float().cpu().numpy()  # (B, samples)
        if not np.isfinite(wave).all():
            raise NonFiniteLatentError("decoded audio contains NaN/inf (the latent was finite); "
                                       "check the codec weights and latent stats")
        return wave.astype(np.float32)

    @torch.no_grad()
    def generate_batch(self, task: str, texts: list[str], seconds: float, seeds: list[int], *,
                       sources: list[AudioInput] | None = None, steps: int | None = None,
                       cfg_scale: float | None = None, solver: str | None = None) -> list[np.ndarray]:
        """Several clips of one generation or editing task in one sampling call (zero-shot TTS items
        have their own prefix lengths: call ``generate`` per item). Each item's noise comes from its
        own seed, so outputs do not depend on the batch."""
        spec = get_task(task)
        if spec.m == ZERO_SHOT:
            raise ValueError("generate_batch does not take zero-shot TTS; call generate() per item")
        if len(seeds) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(seeds)} seeds")
        if seconds <= 0:
            raise ValueError(f"seconds must be > 0, got {seconds!r}")
        frames, spf = int(self.codec.latent_len(seconds)), self.samples_per_frame
        z_s = None
        if spec.m == EDITING:
            if not sources or len(sources) != len(texts):
                raise ValueError(f"task {spec.name!r} needs one source per text")
            z_s = torch.cat([self._encode(fit_length(read_audio(s, self.sample_rate), frames * spf))
                             for s in sources])
        z = self._sample(spec, list(texts), frames, self.cfg.model.latent_channels, list(seeds), z_s, None,
                         steps, cfg_scale, solver)
        return list(self._decode(z))

    def generate_to_file(self, out: str | os.PathLike, task: str, text: str, seconds: float, **kw) -> Path:
        """Generate and write a WAV; nothing is written unless generation succeeds."""
        wave, sr = self.generate(task, text, seconds, **kw)
        return write_float_wav(out, wave, sr)
