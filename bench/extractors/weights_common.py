"""Shared plumbing of the paper-protocol extractors: weights look-up, strict loading, padding.

Each paper extractor resolves its file through ``unison.core.weights`` (explicit path -> env var ->
$UNISON_WEIGHTS_DIR -> local HF cache), reports a missing file as ``"unavailable: <reason>"``
and records the file's sha256 in its signature.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from unison.core.weights import MissingWeightsError, WeightSpec, cached_sha256, resolve


def unavailable_reason(spec: WeightSpec, explicit: str | Path | None) -> str | None:
    """None when ``spec``'s file is found, else ``"unavailable: <where we looked, how to get it>"``."""
    try:
        resolve(spec, explicit)
    except (MissingWeightsError, ValueError) as err:
        return f"unavailable: {err}"
    return None


def weights_sha256(spec: WeightSpec, explicit: str | Path | None) -> str | None:
    """sha256 of the resolved file (None when missing: the signature then says so)."""
    try:
        return cached_sha256(resolve(spec, explicit))
    except (MissingWeightsError, ValueError):
        return None


class ResolvedWeights:
    """Mixin for an extractor whose single weights file comes from the resolver (class attribute
    ``spec``): availability and the weights part of the signature, written once."""

    spec: WeightSpec
    # (importable module, how to install it) of the reference package the extractor runs, if any;
    # looked up without importing it (some take tens of seconds to import), after the weights.
    package: tuple[str, str] | None = None

    def __init__(self, weights: str | Path | None = None):
        self.weights = weights  # explicit path; None = env var / weights dir / HF cache

    def available(self) -> str | None:
        reason = unavailable_reason(self.spec, self.weights)
        if reason is None and self.package is not None:
            from importlib.util import find_spec

            module, install = self.package
            if find_spec(module) is None:
                reason = f"unavailable: the {module} package is not installed ({install})"
        return reason

    def weights_signature(self) -> dict[str, Any]:
        return {"weights_file": self.spec.filename, "weights_sha256": weights_sha256(self.spec, self.weights)}


def load_strict(module: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], what: str) -> None:
    """``load_state_dict(strict=True)`` with an error that names the file kind and the key diff."""
    expected = set(module.state_dict())
    got = set(state_dict)
    missing, unexpected = sorted(expected - got), sorted(got - expected)
    if missing or unexpected:
        raise ValueError(
            f"{what}: checkpoint keys do not match the model (missing {missing[:8]}"
            f"{'...' if len(missing) > 8 else ''}, unexpected {unexpected[:8]}"
            f"{'...' if len(unexpected) > 8 else ''}). Is this the published file?"
        )
    module.load_state_dict(dict(state_dict), strict=True)


def torch_load_weights_only(path: Path, what: str) -> Any:
    """Load a torch pickle with ``weights_only=True`` (tensors, dicts, numbers only)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"{what}: cannot read {path} as a weights-only torch checkpoint: {err}") from err


def pad_to_min_samples(wave: np.ndarray, min_samples: int) -> np.ndarray:
    """Zero-pad the end of a mono wave up to ``min_samples`` (longer waves are unchanged)."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise ValueError(f"expected a mono wave of shape (samples,), got {wave.shape}")
    if len(wave) < min_samples:
        wave = np.pad(wave, (0, min_samples - len(wave)))
    return wave
