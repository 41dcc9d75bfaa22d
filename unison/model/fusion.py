"""Layer-wise deep LLM fusion (docs/design.md §1): which LLM layer feeds which block, and the projectors.

Block k of a depth-D DiT reads LLM hidden state i_k = floor(1 + k (L-1)/(D-1)) (1-based: directly
an index into HF ``hidden_states``, where 0 is the embedding output) through its own W_k.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def layer_map(depth: int, llm_layers: int) -> list[int]:
    """i_k for k = 0..depth-1, exact integer arithmetic (no float rounding at the boundaries)."""
    if depth < 2:
        raise ValueError(f"layer_map: depth must be >= 2 (the map spans depth-1 steps), got {depth}")
    if llm_layers < 1:
        raise ValueError(f"layer_map: llm_layers must be >= 1, got {llm_layers}")
    return [1 + (k * (llm_layers - 1)) // (depth - 1) for k in range(depth)]


def penultimate_layer(llm_layers: int) -> int:
    """hidden_states index of the penultimate layer (index L is the output after the final norm)."""
    return llm_layers - 1


class LayerProjector(nn.Module):
    """One LLM layer (B, S, H_llm) -> text tokens (B, S, d); optional affine-free LayerNorm first."""

    def __init__(self, llm_hidden: int, dim: int, layer_norm: bool):
        super().__init__()
        self.layer_norm = layer_norm
        self.proj = nn.Linear(llm_hidden, dim)

    def forward(self, feats: Tensor) -> Tensor:
        if self.layer_norm:
            feats = F.layer_norm(feats, feats.shape[-1:], eps=1e-6)
        return self.proj(feats)


class DeepFusion(nn.Module):
    """Per-block projectors W_k: feats (B, D, S, H_llm), stacked in layer_map order -> (D, B, S, d)."""

    def __init__(self, depth: int, llm_hidden: int, dim: int, layer_norm: bool):
        super().__init__()
        self.projectors = nn.ModuleList(LayerProjector(llm_hidden, dim, layer_norm) for _ in range(depth))

    def forward(self, feats: Tensor) -> Tensor:
        if feats.shape[1] != len(self.projectors):
            raise ValueError(f"DeepFusion: expected {len(self.projectors)} stacked LLM layers, got {feats.shape[1]}")
        return torch.stack([proj(feats[:, k]) for k, proj in enumerate(self.projectors)])
