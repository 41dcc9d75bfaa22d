"""Helpers for loading published state dicts: readable key/shape diffs, folding weight norm."""
from __future__ import annotations

import torch

_LEGACY_G, _LEGACY_V = ".weight_g", ".weight_v"  # torch.nn.utils.weight_norm
_PARAM_G, _PARAM_V = ".parametrizations.weight.original0", ".parametrizations.weight.original1"  # parametrizations


def state_dict_differences(expected: dict[str, torch.Size], got: dict[str, torch.Tensor], limit: int = 8) -> str:
    """Human-readable key/shape differences between a model and a loaded state dict ('' if none)."""
    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    wrong = [f"{k}: file {tuple(got[k].shape)} vs model {tuple(expected[k])}"
             for k in expected if k in got and tuple(got[k].shape) != tuple(expected[k])]
    parts = []
    for label, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", wrong)):
        if items:
            more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
            parts.append(f"{label} [{len(items)}]: " + ", ".join(items[:limit]) + more)
    return "; ".join(parts)


def fold_weight_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace every weight-normalised (g, v) pair by the plain ``weight`` = g * v / ||v||.

    Accepts both torch layouts (legacy ``weight_g``/``weight_v`` and parametrizations
    ``original0``/``original1``); the norm is over all dims but 0 (torch's default dim=0).
    Plain ``weight`` entries pass through, so already-folded files load too.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        for g_suffix, v_suffix in ((_LEGACY_G, _LEGACY_V), (_PARAM_G, _PARAM_V)):
            if key.endswith(v_suffix):
                break
            if key.endswith(g_suffix):
                prefix = key[: -len(g_suffix)]
                v_key = prefix + v_suffix
                if v_key not in state:
                    raise ValueError(f"weight-norm magnitude {key} has no direction {v_key} in the state dict")
                g, v = value.float(), state[v_key].float()
                norm = torch.linalg.vector_norm(v, dim=tuple(range(1, v.dim())), keepdim=True)
                out[prefix + ".weight"] = (g * v / norm).to(state[v_key].dtype)
                break
        else:
            out[key] = value
    return out
