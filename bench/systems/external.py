"""Adapters for external models users run on their own GPUs: AudioLDM 2 and Stable Audio Open
through ``diffusers`` (AudioLDM2Pipeline, StableAudioPipeline) and F5-TTS through its Python API.

Nothing is downloaded: each adapter runs only when its package is installed AND its weights are
local - an explicit ``--system-arg weights=<dir or file>`` or the model's repository already in the
Hugging Face cache (use HF_HUB_OFFLINE=1 on the runner). Otherwise ``available()`` returns the
reason and the runner marks every cell "unavailable: <reason>" (as for extractors without weights).

Sampler settings are each model's own published defaults (not the suite's UNISON steps/cfg),
overridable with ``steps=`` / ``cfg=``; all are recorded in ``signature()``. Per-item seeds come
from unison.core.seeds.item_seed, outputs are mono, cropped or zero-padded at the end to item.seconds.
"""
from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from bench.item import Item
from bench.systems.base import Generated, System
from bench.systems.seeding import SeededRun
from unison.core.seeds import SEED_RULE
from unison.core.signal import fit_length

log = logging.getLogger(__name__)

NEGATIVE_PROMPT = "Low quality."  # the diffusers documentation examples' negative prompt for both models


def hf_cached_snapshot(repo_id: str, probe: str) -> Path | None:
    """The local snapshot folder of ``repo_id`` if ``probe`` (a file of it) is in the HF cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    hit = try_to_load_from_cache(repo_id, probe)
    if isinstance(hit, str) and Path(hit).is_file():
        return Path(hit).parents[len(Path(probe).parts) - 1]
    return None


def pick_device(device: str | None) -> str:
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class ExternalSystem(SeededRun, System):
    """Common part: package check, local weights lookup, lazy loading, seeds, signature."""

    package: str = ""          # import name
    pip_name: str = ""         # what to pip install
    repo_id: str = ""          # the Hugging Face repository of the published weights
    probe: str = ""            # a file of that repository that marks a usable local copy
    default_steps: int = 0
    default_cfg: float = 0.0
    batch_size = 1

    def __init__(self, weights: str | None = None, device: str | None = None, steps: int | str | None = None,
                 cfg: float | str | None = None, dtype: str | None = None):
        self.weights_arg = weights
        self.device_arg = device
        self.steps = int(steps) if steps is not None else self.default_steps
        self.cfg = float(cfg) if cfg is not None else self.default_cfg
        self.dtype = dtype
        self._model = None

    # -- availability
    def weights_path(self) -> Path | None:
        if self.weights_arg:
            p = Path(self.weights_arg).expanduser()
            return p if p.exists() else None
        return hf_cached_snapshot(self.repo_id, self.probe)

    def available(self) -> str | None:
        if importlib.util.find_spec(self.package) is None:
            return f"package {self.pip_name!r} is not installed (pip install {self.pip_name})"
        if self.weights_path() is None:
            where = f"weights={self.weights_arg} does not exist" if self.weights_arg else \
                f"{self.repo_id} is not in the local Hugging Face cache ({os.environ.get('HF_HOME', '~/.cache/huggingface')})"
            return (f"no local weights: {where}; pass --system-arg weights=<local copy of {self.repo_id}> "
                    "or fill the HF cache on the runner and set HF_HUB_OFFLINE=1")
        return None

    def signature(self) -> dict[str, Any]:
        path = self.weights_path()
        return {"system": self.name, "version": "1", "package": self.pip_name, "package_version": _version(self.pip_name),
                "weights_repo": self.repo_id, "weights": str(path) if path else None,
                "weights_revision": _snapshot_revision(path), "steps": self.steps, "cfg": self.cfg,
                "dtype": self.dtype, "seed_rule": SEED_RULE, "fit": "crop or zero-pad at the end to item.seconds"}

    def model(self):
        if self._model is None:
            reason = self.available()
            if reason is not None:
                raise RuntimeError(f"{self.name} unavailable: {reason}")
            self._model = self.load(self.weights_path(), pick_device(self.device_arg))
        return self._model

    def load(self, path: Path, device: str):  # pragma: no cover - needs the package and weights
        raise NotImplementedError

    def generator(self, item: Item):
        import torch

        return torch.Generator(device="cpu").manual_seed(self.seed_for(item))


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _snapshot_revision(path: Path | None) -> str | None:
    """The commit hash of an HF cache snapshot folder (snapshots/<hash>/...), if it is one."""
    if path is None:
        return None
    parts = path.resolve().parts if path.exists() else path.parts
    return parts[parts.index("snapshots") + 1] if "snapshots" in parts[:-1] else None


def _torch_dtype(name: str | None, device: str):
    import torch

    if name is None:
        return torch.float16 if device.startswith("cuda") else torch.float32
    return {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}[name]


class AudioLDM2System(ExternalSystem):
    """AudioLDM 2-Large (the paper's T2A baseline) via diffusers.AudioLDM2Pipeline, 16 kHz."""

    name = "audioldm2"
    tasks = ("t2a", "t2a_mix")
    package, pip_name = "diffusers", "diffusers"
    repo_id, probe = "cvssp/audioldm2-large", "model_index.json"
    default_steps, default_cfg = 200, 3.5  # AudioLDM2Pipeline defaults

    def load(self, path: Path, device: str):
        from diffusers import AudioLDM2Pipeline

        return AudioLDM2Pipeline.from_pretrained(str(path), torch_dtype=_torch_dtype(self.dtype, pick_device(device)),
                                                 local_files_only=True).to(device)

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        pipe, out = self.model(), []
        for it in items:
            audio = pipe(it.caption or it.instruction, negative_prompt=NEGATIVE_PROMPT, num_inference_steps=self.steps,
                         guidance_scale=self.cfg, audio_length_in_s=float(it.seconds), num_waveforms_per_prompt=1,
                         generator=self.generator(it)).audios[0]  # (samples,) at 16 kHz
            out.append(Generated(fit_length(np.asarray(audio, np.float32), it.samples(16000)), 16000))
        return out


class StableAudioOpenSystem(ExternalSystem):
    """Stable Audio Open 1.0 via diffusers.StableAudioPipeline (44.1 kHz stereo -> mono mean)."""

    name = "stable-audio-open"
    tasks = ("t2a", "t2a_mix")
    package, pip_name = "diffusers", "diffusers"
    repo_id, probe = "stabilityai/stable-audio-open-1.0", "model_index.json"
    default_steps, default_cfg = 200, 7.0  # diffusers' documented example steps and default guidance

    def load(self, path: Path, device: str):
        from diffusers import StableAudioPipeline

        return StableAudioPipeline.from_pretrained(str(path), torch_dtype=_torch_dtype(self.dtype, device),
                                                   local_files_only=True).to(device)

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        pipe, out = self.model(), []
        sr = int(pipe.vae.sampling_rate)
        for it in items:
            audios = pipe(it.caption or it.instruction, negative_prompt=NEGATIVE_PROMPT, num_inference_steps=self.steps,
                          guidance_scale=self.cfg, audio_end_in_s=float(it.seconds), num_waveforms_per_prompt=1,
                          generator=self.generator(it)).audios  # (1, channels, samples)
            wave = audios[0].float().cpu().numpy().mean(axis=0)
            out.append(Generated(fit_length(wave, it.samples(sr)), sr))
        return out


class F5TTSSystem(ExternalSystem):
    """F5-TTS (v1 Base) zero-shot TTS via ``f5_tts.api.F5TTS``. Needs the reference clip and its
    transcript (item.meta["prompt_text"], as Seed-TTS eval rows carry): F5-TTS would otherwise
    transcribe it with a downloaded ASR model. ``weights`` = the model checkpoint file, with
    ``vocab=`` (vocab.txt) and ``vocoder=`` (a local vocos-mel-24khz folder) beside it."""

    name = "f5-tts"
    tasks = ("zs_tts",)
    package, pip_name = "f5_tts", "f5-tts"
    repo_id, probe = "SWivid/F5-TTS", "F5TTS_v1_Base/model_1250000.safetensors"
    default_steps, default_cfg = 32, 2.0  # F5TTS.infer nfe_step / cfg_strength defaults

    def __init__(self, weights: str | None = None, vocab: str | None = None, vocoder: str | None = None,
                 model: str = "F5TTS_v1_Base", **kw: Any):
        super().__init__(weights, **kw)
        self.vocab_arg, self.vocoder_arg, self.model_name = vocab, vocoder, model

    def weights_path(self) -> Path | None:
        if self.weights_arg:
            p = Path(self.weights_arg).expanduser()
            return p if p.is_file() else None
        snap = hf_cached_snapshot(self.repo_id, self.probe)
        return snap / self.probe if snap else None

    def vocab_path(self) -> Path | None:
        if self.vocab_arg:
            return Path(self.vocab_arg)
        w = self.weights_path()
        return w.parent / "vocab.txt" if w else None

    def vocoder_path(self) -> Path | None:
        if self.vocoder_arg:
            return Path(self.vocoder_arg)
        return hf_cached_snapshot("charactr/vocos-mel-24khz", "config.yaml")

    def available(self) -> str | None:
        reason = super().available()
        if reason is not None:
            return reason
        if self.vocab_path() is None or not self.vocab_path().is_file():
            return f"no vocab.txt beside {self.weights_path()}; pass --system-arg vocab=<vocab.txt>"
        if self.vocoder_path() is None or not Path(self.vocoder_path()).is_dir():
            return ("no local vocos vocoder (charactr/vocos-mel-24khz); pass --system-arg vocoder=<folder> "
                    "or fill the HF cache")
        return None

    def signature(self) -> dict[str, Any]:
        return {**super().signature(), "model": self.model_name, "vocab": str(self.vocab_path()),
                "vocoder": str(self.vocoder_path()), "reference_text": "item.meta['prompt_text']"}

    def load(self, path: Path, device: str):
        from f5_tts.api import F5TTS

        return F5TTS(model=self.model_name, ckpt_file=str(path), vocab_file=str(self.vocab_path()),
                     vocoder_local_path=str(self.vocoder_path()), device=device)

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        tts, out = self.model(), []
        for it in items:
            if it.reference is None or not it.meta.get("prompt_text"):
                raise ValueError(f"item {it.id!r}: F5-TTS needs item.reference and item.meta['prompt_text']")
            wav, sr, _ = tts.infer(ref_file=str(Path(root) / it.reference), ref_text=it.meta["prompt_text"],
                                   gen_text=it.text or it.instruction, nfe_step=self.steps, cfg_strength=self.cfg,
                                   seed=self.seed_for(it) % (2 ** 31))
            out.append(Generated(fit_length(np.asarray(wav, np.float32), it.samples(int(sr))), int(sr)))
        return out
