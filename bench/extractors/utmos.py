"""UTMOS22 strong learner (Saeki et al., 2022): the speech-naturalness MOS predictor recent TTS
papers report as "UTMOS", in the form they run it: ``torch.hub.load("tarepan/SpeechMOS:v1.2.0",
"utmos22_strong")`` with the checkpoint ``utmos22_strong_step7459_v1.pt`` (the official
sarulab-speech UTMOS22 strong learner's weights, transferred to a fairseq-free module).

Why not a package: that predictor is distributed only as a torch.hub repository (no PyPI
release); the PyPI package ``utmos`` (1.1.10) is a different front end that requires fairseq,
which does not install on this project's Python / torch. So the module is implemented here
against the published state-dict layout (key names and shapes of ``UTMOS22Strong``):

- ``wav2vec2``: wav2vec 2.0 base without quantiser: 7 conv layers (512 ch; kernels 10,3,3,3,3,2,2;
  strides 5,2,2,2,2,2,2; no bias; GroupNorm(512, 512) after the first; GELU), LayerNorm(512),
  Linear 512 -> 768, convolutional relative position embedding (Conv1d 768, kernel 128,
  padding 64, 16 groups, weight norm over dim 2, last frame dropped, GELU) added to the input,
  LayerNorm, then 12 post-LN transformer layers (12 heads, FFN 3072, GELU). The sequence is
  zero-padded to an even length with the pad masked out of attention and removed afterwards.
  ``mask_emb`` is a training remnant kept for the layout.
- ``domain_emb`` / ``judge_emb`` (1, 128) each, broadcast over frames and concatenated with the
  768-d features (1024), a BLSTM (hidden 512 per direction), ``projection`` Linear 1024 -> 2048,
  ReLU, Linear 2048 -> 1; utterance score = mean over frames x 2 + 3.
Input: 16 kHz mono, the whole clip in one pass (the reference resamples with torchaudio; the
runner has already resampled with soxr HQ, and the reference's resample is the identity at 16 kHz).
Widths are read from the file, so a tiny file in the same layout exercises this code.
"""
from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bench.extractors.base import Extractor
from bench.extractors.weights_common import ResolvedWeights, load_strict, torch_load_weights_only
from unison.core.weights import WeightSpec, resolve

SAMPLE_RATE = 16000
CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)
POS_KERNEL = 128
WEIGHTS = WeightSpec(
    name="utmos22-strong",
    filename="utmos22_strong_step7459_v1.pt",
    env="UNISON_UTMOS22_STRONG",
    how_to_get="download https://github.com/tarepan/SpeechMOS/releases/download/v1.0.0/utmos22_strong_step7459_v1.pt",
    url="https://github.com/tarepan/SpeechMOS/releases/download/v1.0.0/utmos22_strong_step7459_v1.pt",
)


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.dim, self.heads = dim, heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
        """x (T, B, D); pad_mask (B, T) True at padded keys."""
        return F.multi_head_attention_forward(
            x, x, x, self.dim, self.heads, in_proj_weight=torch.empty(0),
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]), bias_k=None, bias_v=None,
            add_zero_attn=False, dropout_p=0.0, out_proj_weight=self.out_proj.weight, out_proj_bias=self.out_proj.bias,
            training=False, key_padding_mask=pad_mask, need_weights=False, use_separate_proj_weight=True,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight)[0]


class _Layer(nn.Module):
    """Post-LN transformer layer (fairseq TransformerSentenceEncoderLayer, layer_norm_first=False)."""

    def __init__(self, dim: int, heads: int, ffn: int):
        super().__init__()
        self.self_attn = _Attention(dim, heads)
        self.fc1, self.fc2 = nn.Linear(dim, ffn), nn.Linear(ffn, dim)
        self.self_attn_layer_norm, self.final_layer_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
        x = self.self_attn_layer_norm(x + self.self_attn(x, pad_mask))
        return self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))


class _Encoder(nn.Module):
    def __init__(self, dim: int, heads: int, ffn: int, layers: int, pos_groups: int):
        super().__init__()
        conv = nn.Conv1d(dim, dim, kernel_size=POS_KERNEL, padding=POS_KERNEL // 2, groups=pos_groups)
        self.pos_conv = nn.Sequential(nn.utils.weight_norm(conv, name="weight", dim=2))
        self.layer_norm = nn.LayerNorm(dim)
        self.layers = nn.ModuleList(_Layer(dim, heads, ffn) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pos = self.pos_conv(x.transpose(1, 2))[:, :, :-1]  # even kernel: drop the last frame ("SamePad")
        x = self.layer_norm(x + F.gelu(pos).transpose(1, 2))
        pad = x.size(1) % 2  # padded to a multiple of 2 frames, the pad masked out of attention
        mask = None
        if pad:
            x = F.pad(x, (0, 0, 0, pad))
            mask = torch.zeros(x.size(0), x.size(1), dtype=torch.bool)
            mask[:, -pad:] = True
        x = x.transpose(0, 1)
        for layer in self.layers:
            x = layer(x, mask)
        x = x.transpose(0, 1)
        return x[:, :-pad] if pad else x


class _Wav2Vec2(nn.Module):
    def __init__(self, conv_dim: int, dim: int, heads: int, ffn: int, layers: int, pos_groups: int):
        super().__init__()
        self.feature_extractor = nn.Module()
        blocks = []
        in_ch = 1
        for i, (k, s) in enumerate(zip(CONV_KERNELS, CONV_STRIDES)):
            parts: list[nn.Module] = [nn.Conv1d(in_ch, conv_dim, k, stride=s, bias=False), nn.Dropout(0.0)]
            if i == 0:
                parts.append(nn.GroupNorm(conv_dim, conv_dim, affine=True))
            parts.append(nn.GELU())
            blocks.append(nn.Sequential(*parts))
            in_ch = conv_dim
        self.feature_extractor.conv_layers = nn.ModuleList(blocks)
        self.layer_norm = nn.LayerNorm(conv_dim)
        self.post_extract_proj = nn.Linear(conv_dim, dim)
        self.encoder = _Encoder(dim, heads, ffn, layers, pos_groups)
        self.mask_emb = nn.Parameter(torch.zeros(dim))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = wave.unsqueeze(1)
        for block in self.feature_extractor.conv_layers:
            x = block(x)
        return self.encoder(self.post_extract_proj(self.layer_norm(x.transpose(1, 2))))


class UTMOS22Strong(nn.Module):
    def __init__(self, conv_dim: int = 512, dim: int = 768, heads: int = 12, ffn: int = 3072, layers: int = 12,
                 pos_groups: int = 16, emb: int = 128, rnn: int = 512, proj: int = 2048):
        super().__init__()
        self.wav2vec2 = _Wav2Vec2(conv_dim, dim, heads, ffn, layers, pos_groups)
        self.domain_emb = nn.Parameter(torch.zeros(1, emb), requires_grad=False)
        self.judge_emb = nn.Parameter(torch.zeros(1, emb), requires_grad=False)
        self.blstm = nn.LSTM(input_size=dim + 2 * emb, hidden_size=rnn, batch_first=True, bidirectional=True)
        self.projection = nn.Sequential(nn.Linear(2 * rnn, proj), nn.ReLU(), nn.Linear(proj, 1))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """wave (B, T) at 16 kHz -> (B,) MOS."""
        units = self.wav2vec2(wave)
        b, t, _ = units.shape
        cat = torch.cat([units, self.domain_emb.unsqueeze(1).expand(b, t, -1),
                         self.judge_emb.unsqueeze(1).expand(b, t, -1)], dim=2)
        return self.projection(self.blstm(cat)[0]).mean(dim=1).squeeze(1) * 2 + 3


def load_utmos(path: Path) -> UTMOS22Strong:
    sd = torch_load_weights_only(path, "UTMOS22 strong")
    if not isinstance(sd, dict) or "wav2vec2.post_extract_proj.weight" not in sd:
        raise ValueError(f"UTMOS22 strong: {path} is not a UTMOS22Strong state dict (no wav2vec2.post_extract_proj)")
    dim, conv_dim = (int(x) for x in sd["wav2vec2.post_extract_proj.weight"].shape)
    layers = 0
    while f"wav2vec2.encoder.layers.{layers}.fc1.weight" in sd:
        layers += 1
    ffn = int(sd["wav2vec2.encoder.layers.0.fc1.weight"].shape[0])
    pos_groups = dim // int(sd["wav2vec2.encoder.pos_conv.0.weight_v"].shape[1])
    emb = int(sd["domain_emb"].shape[1])
    rnn = int(sd["blstm.weight_hh_l0"].shape[1])
    proj = int(sd["projection.0.weight"].shape[0])
    heads = 12 if dim == 768 else max(1, dim // 64)  # not stored in the file: 12 in the published model
    net = UTMOS22Strong(conv_dim, dim, heads, ffn, layers, pos_groups, emb, rnn, proj)
    load_strict(net, sd, f"UTMOS22 strong ({path})")
    return net.eval()


class UTMOSExtractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "utmos22-strong"
    sample_rate = SAMPLE_RATE
    batch_size = 4
    min_samples = 400  # the conv front end needs at least one 25 ms frame

    def signature(self) -> dict[str, Any]:
        return {"model": "UTMOS22 strong learner (SpeechMOS layout, implemented here)", **self.weights_signature(),
                "sample_rate": SAMPLE_RATE, "input": "whole clip, one pass", "score": "mean over frames x 2 + 3",
                "resampler": "runner (soxr HQ)", "version": 1}

    @cached_property
    def net(self) -> UTMOS22Strong:
        return load_utmos(resolve(WEIGHTS, self.weights))

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for w in waves:  # one clip per pass: padding a batch would change the frame mean
            x = np.asarray(w, dtype=np.float32)
            if x.ndim != 1 or x.size < self.min_samples or not np.all(np.isfinite(x)):
                out.append({"error": f"UTMOS needs a finite mono clip of >= {self.min_samples} samples "
                                     f"(shape {x.shape})"})
                continue
            out.append({"mos": float(self.net(torch.from_numpy(x)[None])[0])})
        return out


def build(weights: str | Path | None = None) -> UTMOSExtractor:
    return UTMOSExtractor(weights)
