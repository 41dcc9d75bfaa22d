"""The DeepFusion MM-DiT (docs/design.md §1): assembles the variants named by ModelConfig.

    arch=double, fusion=deep              D24 / D20 / D24-3B: pre-only text, refreshed per block (W_k)
    arch=double, fusion=penultimate       L: one shared projector of layer L-1 -> persistent text stream
    arch=double, fusion=deep+penultimate  OL: persistent stream, plus W_k E^(i_k) added at block k
    arch=single, fusion=deep              S32: FLUX-style single-stream blocks with per-block W_k

Sampling calls ``prepare_text`` once (everything that does not depend on t), then ``forward`` per step.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unison.config import ModelConfig, validate_model
from unison.model.blocks import DoubleStreamBlock, FinalBlock, Modulation, RotaryEmbedding, SingleStreamBlock, layer_norm
from unison.model.embed import InputProjection, TimestepEmbedder
from unison.model.fusion import DeepFusion, LayerProjector, layer_map, penultimate_layer


@dataclass
class TextCond:
    """t-independent text conditioning, computed once per sampling call by ``UnisonDiT.prepare_text``."""

    blocks: Tensor | None  # (D, B, S, d) per-block tokens: LayerNorm-ed W_k E^(i_k) (pre-only) or raw W_k E^(i_k) (OL)
    stream: Tensor | None  # (B, S, d) initial persistent text stream (L, OL)
    mask: Tensor  # (B, S) bool, True = real token
    padded: bool  # any False in mask (else attention runs unmasked)

    @property
    def batch_size(self) -> int:
        return self.mask.shape[0]

    def key_mask(self, n_audio: int) -> Tensor | None:
        """(B, 1, 1, T + S) bool for joint attention over [audio; text] keys; None if nothing is padded."""
        if not self.padded:
            return None
        audio = torch.ones(self.batch_size, n_audio, dtype=torch.bool, device=self.mask.device)
        return torch.cat([audio, self.mask], dim=1)[:, None, None, :]

    @staticmethod
    def cat(conds: list["TextCond"]) -> "TextCond":
        """Batch-concatenate (e.g. conditional + unconditional for CFG), padding text to the longest S."""
        s = max(c.mask.shape[1] for c in conds)

        def pad(x: Tensor | None, dim: int) -> Tensor | None:
            return None if x is None else F.pad(x, (0, 0) * (x.dim() - 1 - dim) + (0, s - x.shape[dim]))

        blocks = [pad(c.blocks, 2) for c in conds]
        streams = [pad(c.stream, 1) for c in conds]
        mask = torch.cat([F.pad(c.mask, (0, s - c.mask.shape[1]), value=False) for c in conds])
        return TextCond(
            blocks=None if blocks[0] is None else torch.cat(blocks, dim=1),
            stream=None if streams[0] is None else torch.cat(streams, dim=0),
            mask=mask, padded=bool((~mask).any()))


class UnisonDiT(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        validate_model(cfg)
        self.cfg = cfg
        d = cfg.hidden
        self.deep = "deep" in cfg.fusion
        self.persistent = "penultimate" in cfg.fusion
        self.input_proj = InputProjection(cfg.in_channels, d, cfg.input_mlp_hidden, cfg.input_kernel)
        self.time_embed = TimestepEmbedder(cfg.timestep_freq_dim, d)
        self.rope = RotaryEmbedding(d // cfg.heads, cfg.rope_theta)
        self.fusion = DeepFusion(cfg.depth, cfg.llm_hidden, d, cfg.llm_layer_norm) if self.deep else None
        self.text_input = LayerProjector(cfg.llm_hidden, d, cfg.llm_layer_norm) if self.persistent else None
        if cfg.arch == "double":
            self.blocks = nn.ModuleList(
                DoubleStreamBlock(d, cfg.heads, cfg.mlp_ratio, self.persistent) for _ in range(cfg.depth))
        else:
            self.blocks = nn.ModuleList(SingleStreamBlock(d, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth))
        self.final = FinalBlock(d, cfg.latent_channels, cfg.final_kernel)
        self.initialize_weights()

    def initialize_weights(self) -> None:
        """Xavier linears, small timestep MLP; adaLN modulations and the final conv start at zero, so
        every block starts as the identity and the initial velocity is exactly zero."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.time_embed.mlp:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
        for m in self.modules():
            if isinstance(m, Modulation):
                nn.init.zeros_(m.lin.weight)
                nn.init.zeros_(m.lin.bias)
        nn.init.zeros_(self.final.conv.weight)
        nn.init.zeros_(self.final.conv.bias)

    @property
    def has_unused_parameters(self) -> bool:
        """True for persistent text streams (L, OL): the last block's text output proj and MLP feed
        nothing (they are in the published counts), so DDP needs ``find_unused_parameters=True``."""
        return self.persistent

    @property
    def dtype(self) -> torch.dtype:
        return self.input_proj.conv.weight.dtype

    def text_layers(self) -> list[int]:
        """hidden_states indices consumed, in the order ``prepare_text`` expects them stacked."""
        layers = layer_map(self.cfg.depth, self.cfg.llm_layers) if self.deep else []
        return layers + ([penultimate_layer(self.cfg.llm_layers)] if self.persistent else [])

    def prepare_text(self, feats: Tensor, mask: Tensor) -> TextCond:
        """feats (B, n_layers, S, H_llm) stacked as ``text_layers()``; mask (B, S) bool True = token."""
        n_layers = len(self.text_layers())
        if feats.dim() != 4 or feats.shape[1] != n_layers or feats.shape[3] != self.cfg.llm_hidden:
            raise ValueError(f"prepare_text: feats must be (B, {n_layers}, S, {self.cfg.llm_hidden}) for layers "
                             f"{self.text_layers()}, got {tuple(feats.shape)}")
        if mask.shape != feats.shape[:1] + feats.shape[2:3] or mask.dtype != torch.bool:
            raise ValueError(f"prepare_text: mask must be bool (B, S) = {tuple(feats.shape[:1] + feats.shape[2:3])}, "
                             f"got {mask.dtype} {tuple(mask.shape)}")
        feats = (feats * mask[:, None, :, None]).to(self.dtype)  # padded positions carry no values
        blocks = stream = None
        if self.deep:
            blocks = self.fusion(feats[:, :self.cfg.depth])  # (D, B, S, d)
            if not self.persistent:  # pre-only text: its LayerNorm does not depend on t either
                blocks = layer_norm(blocks)
        if self.persistent:
            stream = self.text_input(feats[:, -1])  # (B, S, d)
        return TextCond(blocks=blocks, stream=stream, mask=mask, padded=bool((~mask).any()))

    def forward(self, x: Tensor, t: Tensor, cond: TextCond) -> Tensor:
        """x (B, T, 2C+1), t (B,) in [0, 1], cond from prepare_text -> velocity (B, T, C) float32."""
        b, n_audio, channels = x.shape
        if channels != self.cfg.in_channels or t.shape != (b,) or cond.batch_size != b:
            raise ValueError(f"forward: expected x (B, T, {self.cfg.in_channels}), t (B,), cond batch B; got x "
                             f"{tuple(x.shape)}, t {tuple(t.shape)}, cond batch {cond.batch_size}")
        audio = self.input_proj(x.to(self.dtype))  # (B, T, d)
        c_act = F.silu(self.time_embed(t))  # (B, d)
        rope = self.rope(n_audio, audio.device, audio.dtype)
        mask = cond.key_mask(n_audio)
        if self.cfg.arch == "single":
            for k, block in enumerate(self.blocks):
                audio = block(audio, cond.blocks[k], c_act, rope, mask)
        elif not self.persistent:
            for k, block in enumerate(self.blocks):
                audio, _ = block(audio, cond.blocks[k], c_act, rope, mask)
        else:
            text = cond.stream
            last = len(self.blocks) - 1
            for k, block in enumerate(self.blocks):
                tokens = text if cond.blocks is None else text + cond.blocks[k]
                audio, text = block(audio, tokens, c_act, rope, mask, update_text=k < last)
        return self.final(audio, c_act).float()


def build_dit(cfg: ModelConfig) -> UnisonDiT:
    """Build the DiT for ``cfg`` on the current default device (works under ``torch.device('meta')``)."""
    return UnisonDiT(cfg)


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
