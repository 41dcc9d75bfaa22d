"""Speaker embedding for SIM as seed-tts-eval computes it: WavLM-large + ECAPA-TDNN (UniSpeech).

Facts (seed-tts-eval thirdparty/UniSpeech/downstreams/speaker_verification/models/ecapa_tdnn.py):
``ECAPA_TDNN_SMALL(feat_dim=1024, feat_type="wavlm_large")`` = ECAPA_TDNN(channels=512, emb_dim=256):
a learnt softmax-weighted sum of all 25 WavLM hidden states (``feature_weight``), + 1e-6,
InstanceNorm1d (no affine); layer1 Conv1dReluBn(1024, 512, k=5, p=2); layer2..4 SE_Res2Block(512,
k=3, dilation 2/3/4, scale 8, SE bottleneck 128), chained (no cross-layer sums); concat(out2,
out3, out4) -> Conv1d(1536, 1536, 1) + ReLU; AttentiveStatsPool(1536, 128) -> BatchNorm1d(3072)
-> Linear(3072, 256). Conv1dReluBn is conv -> ReLU -> BN. Checkpoint ``wavlm_large_finetune.pth``
= ``{"model": state_dict}``; the WavLM weights sit under ``feature_extract.model.`` in s3prl /
fairseq naming and are renamed here to transformers' ``WavLMModel`` (which reproduces s3prl's
hidden states: inputs of the 24 layers + the final-LayerNorm output). s3prl normalises the wave
(layer_norm over the whole utterance) for WavLM-large; so do we. SIM = cosine of the
"embedding" of the generated clip and the prompt (the metric computes it).

Sizes (hidden, layers, heads, conv widths, ECAPA widths) are read from the checkpoint, so a tiny
test file in the same format runs through this code.
"""
from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bench.extractors.base import Extractor
from bench.extractors.weights_common import (
    ResolvedWeights,
    load_strict,
    torch_load_weights_only,
)
from unison.core.weights import WeightSpec, resolve

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WAVLM_PREFIX = "feature_extract.model."
RES2_SCALE = 8
DILATIONS = (2, 3, 4)
# WavLM-large's conv feature encoder (not recoverable from weight shapes alone for the strides).
CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)
# s3prl/fairseq keys that inference does not use (pre-training heads).
UNUSED_WAVLM_KEYS = ("label_embs_concat", "final_proj", "project_q", "quantizer")
HEAD_MODULES = ("feature_weight", "instance_norm", "layer1", "layer2", "layer3", "layer4", "conv", "pooling", "bn",
                "linear")

WEIGHTS = WeightSpec(
    name="wavlm-ecapa",
    filename="wavlm_large_finetune.pth",
    env="UNISON_WAVLM_ECAPA",
    how_to_get="download wavlm_large_finetune.pth (UniSpeech speaker verification, linked from seed-tts-eval's "
    "README / microsoft UniSpeech downstreams/speaker_verification)",
)

# s3prl/fairseq WavLM name -> transformers WavLMModel name ('*' = layer index).
_RENAMES = [
    (r"^feature_extractor\.conv_layers\.(\d+)\.0\.weight$", r"feature_extractor.conv_layers.\1.conv.weight"),
    (r"^feature_extractor\.conv_layers\.(\d+)\.2\.1\.(weight|bias)$", r"feature_extractor.conv_layers.\1.layer_norm.\2"),
    (r"^feature_extractor\.conv_layers\.0\.2\.(weight|bias)$", r"feature_extractor.conv_layers.0.layer_norm.\1"),
    (r"^layer_norm\.(weight|bias)$", r"feature_projection.layer_norm.\1"),
    (r"^post_extract_proj\.(weight|bias)$", r"feature_projection.projection.\1"),
    (r"^mask_emb$", r"masked_spec_embed"),
    (r"^encoder\.pos_conv\.0\.bias$", r"encoder.pos_conv_embed.conv.bias"),
    (r"^encoder\.pos_conv\.0\.weight_g$", r"encoder.pos_conv_embed.conv.parametrizations.weight.original0"),
    (r"^encoder\.pos_conv\.0\.weight_v$", r"encoder.pos_conv_embed.conv.parametrizations.weight.original1"),
    (r"^encoder\.layer_norm\.(weight|bias)$", r"encoder.layer_norm.\1"),
    (r"^encoder\.layers\.(\d+)\.self_attn\.(k_proj|v_proj|q_proj|out_proj)\.(weight|bias)$",
     r"encoder.layers.\1.attention.\2.\3"),
    (r"^encoder\.layers\.(\d+)\.self_attn\.grep_linear\.(weight|bias)$", r"encoder.layers.\1.attention.gru_rel_pos_linear.\2"),
    (r"^encoder\.layers\.(\d+)\.self_attn\.grep_a$", r"encoder.layers.\1.attention.gru_rel_pos_const"),
    (r"^encoder\.layers\.(\d+)\.self_attn\.relative_attention_bias\.weight$", r"encoder.layers.\1.attention.rel_attn_embed.weight"),
    (r"^encoder\.layers\.(\d+)\.self_attn_layer_norm\.(weight|bias)$", r"encoder.layers.\1.layer_norm.\2"),
    (r"^encoder\.layers\.(\d+)\.fc1\.(weight|bias)$", r"encoder.layers.\1.feed_forward.intermediate_dense.\2"),
    (r"^encoder\.layers\.(\d+)\.fc2\.(weight|bias)$", r"encoder.layers.\1.feed_forward.output_dense.\2"),
    (r"^encoder\.layers\.(\d+)\.final_layer_norm\.(weight|bias)$", r"encoder.layers.\1.final_layer_norm.\2"),
]


def s3prl_to_hf(key: str) -> str | None:
    """Rename one WavLM key (without the ``feature_extract.model.`` prefix); None if inference-unused."""
    if any(key.startswith(u) for u in UNUSED_WAVLM_KEYS):
        return None
    for pattern, repl in _RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key)
    raise ValueError(f"wavlm-ecapa: unknown WavLM checkpoint key {WAVLM_PREFIX}{key!r}")


def wavlm_config_from_state(sd: dict[str, torch.Tensor]):
    """A transformers WavLMConfig whose sizes match the (renamed) WavLM state dict."""
    from transformers import WavLMConfig

    n_conv = len({k.split(".")[2] for k in sd if k.startswith("feature_extractor.conv_layers.")})
    n_layers = len({k.split(".")[2] for k in sd if k.startswith("encoder.layers.")})
    pos_v = sd["encoder.pos_conv_embed.conv.parametrizations.weight.original1"]  # (H, H/groups, K)
    hidden = int(sd["feature_projection.projection.weight"].shape[0])
    return WavLMConfig(
        hidden_size=hidden, num_hidden_layers=n_layers,
        num_attention_heads=int(sd["encoder.layers.0.attention.gru_rel_pos_const"].shape[1]),
        intermediate_size=int(sd["encoder.layers.0.feed_forward.intermediate_dense.weight"].shape[0]),
        conv_dim=tuple(int(sd[f"feature_extractor.conv_layers.{i}.conv.weight"].shape[0]) for i in range(n_conv)),
        conv_kernel=tuple(int(sd[f"feature_extractor.conv_layers.{i}.conv.weight"].shape[2]) for i in range(n_conv)),
        conv_stride=CONV_STRIDES[:n_conv] if n_conv == len(CONV_STRIDES) else (5,) + (2,) * (n_conv - 1),
        num_conv_pos_embeddings=int(pos_v.shape[2]), num_conv_pos_embedding_groups=hidden // int(pos_v.shape[1]),
        num_buckets=int(sd["encoder.layers.0.attention.rel_attn_embed.weight"].shape[0]),
        feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=False,
    )


class Conv1dReluBn(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int = 1, padding: int = 0, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, padding=padding, dilation=dilation)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(x)))


class Res2Conv1dReluBn(nn.Module):
    """Split channels into ``scale`` groups; each group's conv sees its input plus the previous output."""

    def __init__(self, channels: int, kernel: int, padding: int, dilation: int, scale: int = RES2_SCALE):
        super().__init__()
        self.width = channels // scale
        self.convs = nn.ModuleList(nn.Conv1d(self.width, self.width, kernel, padding=padding, dilation=dilation)
                                   for _ in range(scale - 1))
        self.bns = nn.ModuleList(nn.BatchNorm1d(self.width) for _ in range(scale - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, self.width, dim=1)
        out, sp = [], None
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            sp = parts[i] if i == 0 else sp + parts[i]
            sp = bn(F.relu(conv(sp)))
            out.append(sp)
        out.append(parts[-1])  # the last group passes through
        return torch.cat(out, dim=1)


class SEConnect(nn.Module):
    def __init__(self, channels: int, bottleneck: int):
        super().__init__()
        self.linear1 = nn.Linear(channels, bottleneck)
        self.linear2 = nn.Linear(bottleneck, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.linear2(F.relu(self.linear1(x.mean(dim=2)))))  # (B, C)
        return x * gate[:, :, None]


class SERes2Block(nn.Module):
    def __init__(self, channels: int, dilation: int, se_bottleneck: int):
        super().__init__()
        # Attribute names are the checkpoint's.
        self.Conv1dReluBn1 = Conv1dReluBn(channels, channels)
        self.Res2Conv1dReluBn = Res2Conv1dReluBn(channels, 3, padding=dilation, dilation=dilation)
        self.Conv1dReluBn2 = Conv1dReluBn(channels, channels)
        self.SE_Connect = SEConnect(channels, se_bottleneck)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.SE_Connect(self.Conv1dReluBn2(self.Res2Conv1dReluBn(self.Conv1dReluBn1(x))))
        return y + x


class AttentiveStatsPool(nn.Module):
    def __init__(self, dim: int, attention: int):
        super().__init__()
        self.linear1 = nn.Conv1d(dim, attention, 1)
        self.linear2 = nn.Conv1d(attention, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alpha = torch.softmax(self.linear2(torch.tanh(self.linear1(x))), dim=2)  # (B, C, T)
        mean = (alpha * x).sum(dim=2)
        std = ((alpha * x * x).sum(dim=2) - mean**2).clamp(min=1e-9).sqrt()
        return torch.cat([mean, std], dim=1)  # (B, 2C)


class EcapaHead(nn.Module):
    """ECAPA-TDNN on a weighted sum of WavLM hidden states (parameter names = the checkpoint's)."""

    def __init__(self, n_states: int, feat_dim: int, channels: int, cat_channels: int, emb_dim: int,
                 attention: int, se_bottleneck: int):
        super().__init__()
        self.feature_weight = nn.Parameter(torch.zeros(n_states))
        self.instance_norm = nn.InstanceNorm1d(feat_dim)
        self.layer1 = Conv1dReluBn(feat_dim, channels, kernel=5, padding=2)
        self.layer2 = SERes2Block(channels, DILATIONS[0], se_bottleneck)
        self.layer3 = SERes2Block(channels, DILATIONS[1], se_bottleneck)
        self.layer4 = SERes2Block(channels, DILATIONS[2], se_bottleneck)
        self.conv = nn.Conv1d(channels * 3, cat_channels, 1)
        self.pooling = AttentiveStatsPool(cat_channels, attention)
        self.bn = nn.BatchNorm1d(cat_channels * 2)
        self.linear = nn.Linear(cat_channels * 2, emb_dim)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """hidden_states (n_states, B, T, D) -> embedding (B, emb_dim)."""
        w = torch.softmax(self.feature_weight, dim=-1)[:, None, None, None]
        x = (w * hidden_states).sum(dim=0).transpose(1, 2) + 1e-6  # (B, D, T)
        x = self.instance_norm(x)
        out1 = self.layer1(x)
        out2 = self.layer2(out1)
        out3 = self.layer3(out2)
        out4 = self.layer4(out3)
        out = F.relu(self.conv(torch.cat([out2, out3, out4], dim=1)))
        return self.linear(self.bn(self.pooling(out)))


class WavLMEcapa(nn.Module):
    def __init__(self, wavlm: nn.Module, head: EcapaHead):
        super().__init__()
        self.wavlm = wavlm
        self.head = head

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """wave (B, samples) 16 kHz -> embedding (B, emb_dim)."""
        wave = F.layer_norm(wave, wave.shape[-1:])  # s3prl's per-utterance wave normalisation
        states = self.wavlm(wave, output_hidden_states=True).hidden_states  # n_states x (B, T, D)
        return self.head(torch.stack(states, dim=0))


def load_wavlm_ecapa(path: Path) -> WavLMEcapa:
    from transformers import WavLMModel

    ckpt = torch_load_weights_only(path, "wavlm-ecapa")
    sd = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(sd, dict) or "layer1.conv.weight" not in sd:
        raise ValueError(f"wavlm-ecapa: {path} is not a UniSpeech ECAPA checkpoint ({{'model': state_dict}} "
                         "with layer1.conv.weight)")
    wavlm_sd, head_sd = {}, {}
    for key, value in sd.items():
        if key.startswith(WAVLM_PREFIX):
            new = s3prl_to_hf(key[len(WAVLM_PREFIX):])
            if new is not None:
                wavlm_sd[new] = value
        elif key.split(".")[0] in HEAD_MODULES:
            head_sd[key] = value
        else:  # e.g. a training-only loss head; seed-tts-eval loads with strict=False
            log.info("wavlm-ecapa: ignoring checkpoint key %s (not used for the embedding)", key)
    if not wavlm_sd:
        raise ValueError(f"wavlm-ecapa: {path} has no WavLM weights under '{WAVLM_PREFIX}'")
    wavlm = WavLMModel(wavlm_config_from_state(wavlm_sd))
    wavlm_sd.setdefault("masked_spec_embed", wavlm.masked_spec_embed.detach().clone())  # unused at inference
    load_strict(wavlm, wavlm_sd, f"wavlm-ecapa WavLM ({path})")
    head = EcapaHead(
        n_states=int(head_sd["feature_weight"].shape[0]), feat_dim=int(head_sd["layer1.conv.weight"].shape[1]),
        channels=int(head_sd["layer1.conv.weight"].shape[0]), cat_channels=int(head_sd["conv.weight"].shape[0]),
        emb_dim=int(head_sd["linear.weight"].shape[0]), attention=int(head_sd["pooling.linear1.weight"].shape[0]),
        se_bottleneck=int(head_sd["layer2.SE_Connect.linear1.weight"].shape[0]),
    )
    load_strict(head, head_sd, f"wavlm-ecapa ECAPA head ({path})")
    return WavLMEcapa(wavlm, head).eval()


class WavLMEcapaExtractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "wavlm-ecapa"
    sample_rate = SAMPLE_RATE
    batch_size = 1

    def signature(self) -> dict[str, Any]:
        return {
            "model": "UniSpeech ECAPA_TDNN_SMALL on WavLM-large hidden states (seed-tts-eval SIM)",
            **self.weights_signature(),
            "wavlm_impl": "transformers WavLMModel (keys renamed from s3prl)",
            "sample_rate": SAMPLE_RATE,
            "wave_norm": "layer_norm over the utterance",
            "crop_pad": "whole clip, no crop or pad",
        }

    @cached_property
    def net(self) -> WavLMEcapa:
        return load_wavlm_ecapa(resolve(WEIGHTS, self.weights))

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        # One clip per pass: padding would change the utterance statistics.
        return [{"embedding": self.net(torch.from_numpy(np.asarray(w, dtype=np.float32))[None])[0].numpy()}
                for w in waves]


def build(weights: str | Path | None = None) -> WavLMEcapaExtractor:
    return WavLMEcapaExtractor(weights)
