"""Trainable parameters of a ModelConfig, counted from its numbers alone (no module is built).

Readers of a recorded config (leaderboards, reports) need the size of a checkpoint's network
without importing torch or building it. Each function mirrors one module of unison.model; the
test in tests/unison/model/test_size.py holds the sum equal to ``count_parameters(build_dit(cfg))``
for every preset, so a change to a module that is not mirrored here fails there.
"""
from __future__ import annotations

from unison.config import ModelConfig


def linear(n_in: int, n_out: int, bias: bool = True) -> int:
    return n_in * n_out + (n_out if bias else 0)


def conv1d(n_in: int, n_out: int, kernel: int, bias: bool = True) -> int:
    return n_in * n_out * kernel + (n_out if bias else 0)


def input_projection(cfg: ModelConfig) -> int:
    """Conv1d(2C+1 -> d) + ConvSwiGLU (three bias-free convs d <-> input_mlp_hidden)."""
    d, h, k = cfg.hidden, cfg.input_mlp_hidden, cfg.input_kernel
    return conv1d(cfg.in_channels, d, k) + 3 * conv1d(d, h, k, bias=False)


def timestep_embedder(cfg: ModelConfig) -> int:
    return linear(cfg.timestep_freq_dim, cfg.hidden) + linear(cfg.hidden, cfg.hidden)


def _qk_norm(cfg: ModelConfig) -> int:
    return 2 * (cfg.hidden // cfg.heads)  # query and key RMSNorm scales


def full_stream(cfg: ModelConfig) -> int:
    """6d adaLN, qkv, q/k norm, output projection, GELU MLP."""
    d, mlp_hidden = cfg.hidden, int(cfg.hidden * cfg.mlp_ratio)
    return (linear(d, 6 * d) + linear(d, 3 * d) + _qk_norm(cfg) + linear(d, d)
            + linear(d, mlp_hidden) + linear(mlp_hidden, d))


def pre_only_text_stream(cfg: ModelConfig) -> int:
    """2d adaLN, qkv (query rows kept: the published counts include them), key norm only."""
    d = cfg.hidden
    return linear(d, 2 * d) + linear(d, 3 * d) + cfg.hidden // cfg.heads


def block(cfg: ModelConfig) -> int:
    """One transformer block of ``cfg.arch``."""
    if cfg.arch == "single":
        d, mlp_hidden = cfg.hidden, int(cfg.hidden * cfg.mlp_ratio)
        return linear(d, 3 * d) + linear(d, 3 * d + mlp_hidden) + linear(d + mlp_hidden, d) + _qk_norm(cfg)
    text = full_stream(cfg) if "penultimate" in cfg.fusion else pre_only_text_stream(cfg)
    return full_stream(cfg) + text


def final_block(cfg: ModelConfig) -> int:
    return linear(cfg.hidden, 2 * cfg.hidden) + conv1d(cfg.hidden, cfg.latent_channels, cfg.final_kernel)


def count_from_config(cfg: ModelConfig) -> int:
    """Trainable parameters of ``build_dit(cfg)``."""
    projector = linear(cfg.llm_hidden, cfg.hidden)
    n = input_projection(cfg) + timestep_embedder(cfg) + cfg.depth * block(cfg) + final_block(cfg)
    if "deep" in cfg.fusion:
        n += cfg.depth * projector  # one W_k per block
    if "penultimate" in cfg.fusion:
        n += projector  # the shared projector feeding the persistent text stream
    return n
