"""Typed, validated configuration (hydra structured configs). One dataclass per concern.

The architecture lives here, not in factory code: every number that defines a model variant
is a field, recorded in every checkpoint's metadata. Owners: model (unison.model), llm
(unison.text), audio (unison.audio), flow/sample (unison.flow, unison.sampler), train
(unison.train). YAML presets live in unison/conf/.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class ModelConfig:
    """DeepFusion MM-DiT (DESIGN.md 2.1). ``fusion``: deep = per-block projector from LLM layer i_k;
    penultimate = one shared projector from layer L-1 feeding a persistent text stream (L);
    deep+penultimate = both (OL). ``arch``: double (MM-DiT double-stream) or single (FLUX-style)."""

    name: str = "d24"
    arch: str = "double"
    fusion: str = "deep"
    hidden: int = 1024
    heads: int = 8
    depth: int = 24
    latent_channels: int = 20
    mlp_ratio: float = 4.0
    input_mlp_hidden: int = 2816
    input_kernel: int = 7
    final_kernel: int = 7
    timestep_freq_dim: int = 256
    rope_theta: float = 10000.0
    llm_layers: int = 28  # L of the frozen LLM
    llm_hidden: int = 3584  # H_llm
    llm_layer_norm: bool = False  # LayerNorm each selected LLM layer before its projector

    @property
    def in_channels(self) -> int:
        return 2 * self.latent_channels + 1


@dataclass
class LLMConfig:
    """Frozen text LLM. kind: qwen2_5_omni | hf_causal | gemma3_gguf | minilm."""

    kind: str = "qwen2_5_omni"
    model_id: str = "Qwen/Qwen2.5-Omni-7B"
    revision: str = "main"
    path: Optional[str] = None  # explicit local path; else the weights resolver
    template: str = "raw"  # raw | chat
    system_prompt: str = "You are an audio generation assistant. Follow the instruction."
    max_tokens: int = 256
    dtype: str = "bfloat16"
    cache_dir: Optional[str] = None  # on-disk hidden-state cache; None = ~/.cache/unison/llm


@dataclass
class MelConfig:
    sample_rate: int = 16000
    n_fft: int = 1024
    win_length: int = 1024
    hop_length: int = 256
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float = 8000.0
    log: str = "log10"  # log10 | ln
    clamp: float = 1e-5


@dataclass
class VAEConfig:
    kind: str = "mmaudio"
    weights: Optional[str] = "mmaudio-vae-16k"  # weight-spec name for the resolver (None = random init)
    path: Optional[str] = None
    data_dim: int = 80
    latent_channels: int = 20
    hidden: int = 384


@dataclass
class VocoderConfig:
    kind: str = "bigvgan_v1"  # bigvgan_v1 | bigvgan_v2 | hifigan | griffinlim
    weights: Optional[str] = "bigvgan-v1-16k"
    path: Optional[str] = None


@dataclass
class AudioConfig:
    mel: MelConfig = field(default_factory=MelConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    vocoder: VocoderConfig = field(default_factory=VocoderConfig)
    seconds: float = 10.0


@dataclass
class FlowConfig:
    t_distribution: str = "logit_normal"  # logit_normal | uniform
    text_dropout: float = 0.1


@dataclass
class SampleConfig:
    steps: int = 100
    solver: str = "euler"  # euler | heun | midpoint
    cfg_scale: float = 4.5
    cfg_formula: str = "uncond+w*(cond-uncond)"


@dataclass
class TrainConfig:
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.01
    warmup_steps: int = 2000
    total_steps: int = 300_000
    grad_clip: float = 1.0
    bf16: bool = True
    ema_decay: float = 0.999
    ema_every: int = 10
    batch_size: int = 56
    stage1_steps: int = 150_000
    seed: int = 0


@dataclass
class UnisonConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
