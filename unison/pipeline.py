"""Inference API: checkpoint -> (DiT, text encoder, codec) -> waveform for any task.

    pipe = UnisonPipeline.from_checkpoint("unison.safetensors", ["sample.steps=50"])
    wave, sr = pipe.generate("tts", "A woman says: hello there.", seconds=5, seed=0)

Generation tasks (m=0) start from zeros in z_s; editing (m=1) encodes the source audio into z_s;
zero-shot TTS (m=2) puts the encoded reference in front of the sequence (as z_s and held on its
known path during sampling) and returns only the synthesized continuation.

Every request is first checked against the input rules of unison.inputs (limits from sample.*:
length, steps, guidance, seed, text, and the audio inputs' length, level and samples); a broken
rule is an InputError naming the argument or file before any model work.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from unison.audio.band_keep import keep_input_band
from unison.checkpoint import load_checkpoint, load_into
from unison.config import UnisonConfig
from unison.core.audio import write_float_wav
from unison.core.seeds import item_noise
from unison.inputs import AudioInput, InputError, Request, SourceAudioError, prepare
from unison.sampler import NonFiniteLatentError, sample
from unison.tasks import EDITING, ZERO_SHOT, get_task, prefix_source

log = logging.getLogger(__name__)

__all__ = ["AudioInput", "InputError", "SourceAudioError", "UnisonPipeline", "overrides_to_dict"]


def overrides_to_dict(overrides: Sequence[str] | dict | None) -> dict:
    """Hydra-style ``a.b=value`` strings (or an already nested dict) -> nested dict; keys that are not
    config fields are refused here, naming the key and the known fields."""
    from unison.config import ConfigError, check_known_keys, one_line

    if not overrides:
        return {}
    if isinstance(overrides, dict):
        check_known_keys(overrides)
        return overrides
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise ConfigError(f"overrides must look like key=value (e.g. sample.steps=50); got {bad}")
    try:
        nested = OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides)))
    except OmegaConfBaseException as e:
        raise ConfigError(f"cannot parse overrides {list(overrides)}: {one_line(e)}") from e
    check_known_keys(nested)
    return nested


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

    def prepare(self, task: str, texts: Sequence[str], seconds: float, seeds: Sequence[int], *,
                sources: Sequence[AudioInput] | None = None, reference: AudioInput | None = None,
                steps: int | None = None, cfg_scale: float | None = None, solver: str | None = None) -> Request:
        """Check a request against the model's input rules (unison.inputs) and read its audio."""
        return prepare(self.cfg.sample, self.sample_rate, self.cfg.audio.mel.hop_length, task, texts, seconds, seeds,
                       sources=sources, reference=reference, steps=steps, cfg_scale=cfg_scale, solver=solver)

    @torch.no_grad()
    def run(self, req: Request) -> list[np.ndarray]:
        """One clip per text of a checked request: float32 waves of ``req.frames * 2 * hop`` samples."""
        if (req.sample_rate, req.hop) != (self.sample_rate, self.cfg.audio.mel.hop_length):
            raise InputError(f"the request was prepared for {req.sample_rate} Hz / hop {req.hop}, this model runs at "
                             f"{self.sample_rate} Hz / hop {self.cfg.audio.mel.hop_length}")
        spec, frames, spf, C = req.task, req.frames, self.samples_per_frame, self.cfg.model.latent_channels
        z_s, prefix, P = None, None, 0
        if spec.m == EDITING:
            z_s = torch.cat([self._encode(w) for w in req.sources])
            if z_s.shape[1] != frames:
                raise SourceAudioError(f"source encoded to {z_s.shape[1]} latent frames, expected {frames}")
        elif spec.m == ZERO_SHOT:
            z_ref = self._encode(req.reference)  # (1, P, C)
            P = z_ref.shape[1]
            z_s = prefix_source(z_ref, P + frames)  # (1, P + T, C)
            if spec.with_source:  # TSE / VC: the source (mixture / source utterance) after the prefix
                z_src = self._encode(req.sources[0])  # (1, T, C)
                if z_src.shape[1] != frames:
                    raise SourceAudioError(f"source encoded to {z_src.shape[1]} latent frames, expected {frames}")
                z_s[:, P:] = z_src
            keep = torch.zeros(1, P + frames, dtype=torch.bool, device=self.device)
            keep[:, :P] = True
            prefix = (z_s, keep)
        log.info("%s: %d clip(s) of %d latent frames%s, %d %s steps: %d model forwards", spec.name, len(req.texts),
                 frames, f" after a {P}-frame reference" if P else "", req.steps, req.solver, req.forwards)
        noise = item_noise(req.seeds, P + frames, C, self.device)  # (B, T, C)
        z = sample(self.model, self._text(list(req.texts)), noise, z_s=z_s, m=spec.m, uncond_text=self._uncond_text(),
                   cfg_scale=req.cfg_scale, steps=req.steps, solver=req.solver, cfg_formula=req.cfg_formula,
                   prefix=prefix)
        waves = [w[P * spf:] for w in self._decode(z)]
        assert all(w.shape[0] == frames * spf for w in waves), ([w.shape for w in waves], frames, spf)
        if spec.name == "super_resolution" and self.cfg.sample.sr_keep_input_band:
            waves = [keep_input_band(w, src) for w, src in zip(waves, req.sources)]
        return waves

    def generate(self, task: str, text: str, seconds: float, source: AudioInput | None = None,
                 reference: AudioInput | None = None, seed: int = 0, *, steps: int | None = None,
                 cfg_scale: float | None = None, solver: str | None = None) -> tuple[np.ndarray, int]:
        """One clip: (wave float32 (samples,), sample_rate); samples = latent_len(seconds) * 2 * hop."""
        req = self.prepare(task, [text], seconds, [seed], sources=None if source is None else [source],
                           reference=reference, steps=steps, cfg_scale=cfg_scale, solver=solver)
        return self.run(req)[0], self.sample_rate

    def _decode(self, z: Tensor) -> np.ndarray:
        # One item per decode: convolution kernels, like matmuls, choose their blocking by batch size.
        wave = torch.cat([self.codec.decode(z[i:i + 1].to(self.device)) for i in range(z.shape[0])])
        wave = wave.float().cpu().numpy()  # (B, samples)
        if not np.isfinite(wave).all():
            raise NonFiniteLatentError("decoded audio contains NaN/inf (the latent was finite); "
                                       "check the codec weights and latent stats")
        return wave.astype(np.float32)

    def generate_batch(self, task: str, texts: list[str], seconds: float, seeds: list[int], *,
                       sources: list[AudioInput] | None = None, steps: int | None = None,
                       cfg_scale: float | None = None, solver: str | None = None) -> list[np.ndarray]:
        """Several clips of one generation or editing task in one sampling call (zero-shot TTS items
        have their own prefix lengths: call ``generate`` per item). Each item's noise comes from its
        own seed, so outputs do not depend on the batch."""
        if get_task(task).m == ZERO_SHOT:
            raise InputError("generate_batch does not take zero-shot TTS; call generate() per item")
        return self.run(self.prepare(task, texts, seconds, seeds, sources=sources, steps=steps, cfg_scale=cfg_scale,
                                     solver=solver))

    def generate_to_file(self, out: str | os.PathLike, task: str, text: str, seconds: float, **kw) -> Path:
        """Generate and write a WAV; nothing is written unless generation succeeds."""
        wave, sr = self.generate(task, text, seconds, **kw)
        return write_float_wav(out, wave, sr)
