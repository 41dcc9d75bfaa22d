"""Parameter table of a model config (``unison info model=<cfg>``), built on the meta device (free)."""
from __future__ import annotations

import torch

from unison.config import ModelConfig, UnisonConfig
from unison.model.dit import UnisonDiT, build_dit, count_parameters


def parameter_table(model: UnisonDiT) -> list[tuple[str, int]]:
    """(part, trainable parameters) rows; the parts sum to the total (last row)."""
    n_blocks = len(model.blocks)
    per_block = count_parameters(model.blocks[0])
    rows = [("input projection", count_parameters(model.input_proj)),
            ("timestep embedder", count_parameters(model.time_embed)),
            (f"blocks ({n_blocks} x {per_block:,})", count_parameters(model.blocks))]
    if model.fusion is not None:
        per_proj = count_parameters(model.fusion.projectors[0])
        rows.append((f"per-block projectors ({n_blocks} x {per_proj:,})", count_parameters(model.fusion)))
    if model.text_input is not None:
        rows.append(("shared text input projector", count_parameters(model.text_input)))
    rows.append(("final block", count_parameters(model.final)))
    rows.append(("total trainable", count_parameters(model)))
    return rows


def info(cfg: ModelConfig | UnisonConfig) -> str:
    """Human-readable summary: variant, channels, layer map, parameter table."""
    mcfg = cfg.model if isinstance(cfg, UnisonConfig) else cfg
    with torch.device("meta"):
        model = build_dit(mcfg)
    per_block = count_parameters(model.blocks[0])
    if model.fusion is not None:
        per_block += count_parameters(model.fusion.projectors[0])
    lines = [f"model {mcfg.name}: arch={mcfg.arch} fusion={mcfg.fusion} d={mcfg.hidden} heads={mcfg.heads} "
             f"depth={mcfg.depth}",
             f"input channels 2C+1 = {mcfg.in_channels} (C = {mcfg.latent_channels}); output channels {mcfg.latent_channels}",
             f"LLM: {mcfg.llm_layers} layers x {mcfg.llm_hidden}; hidden_states used: {model.text_layers()}",
             f"per block incl. its projector: {per_block / 1e6:.2f} M", ""]
    rows = parameter_table(model)
    width = max(len(name) for name, _ in rows)
    lines += [f"{name:<{width}}  {n:>14,}  {n / 1e6:9.2f} M" for name, n in rows]
    return "\n".join(lines)
