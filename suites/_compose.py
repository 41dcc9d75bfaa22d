"""Writing composed items: stems on the PCM_16 grid, mixtures as exact sums of stems.

``write_mixtures`` is what makes the suites' relations hold in the stored files: one headroom gain
for all stems of an item (so SNRs and differences are kept and nothing clips), every stem rounded
to the PCM_16 grid, each mixture the plain sum of its stems. Stems are stored too (under
``stems/``, named in item.meta) so that anyone can check e.g. target == source - event.
"""
from __future__ import annotations

import numpy as np

from suites._mix import headroom_gain, noise_floor, on_pcm16_grid


def with_floor(out, item_id: str, wave: np.ndarray) -> np.ndarray:
    """``wave`` plus the item's deterministic noise floor (suites/_mix.noise_floor: why)."""
    return np.asarray(wave, dtype=np.float64) + noise_floor(np.asarray(wave).size, out.rng(f"{item_id}/floor"))


def write_mixtures(out, item_id: str, stems: dict[str, np.ndarray], mixtures: dict[str, list[str]], sr: int,
                   keep_stems: bool = True, floor: bool = True) -> tuple[dict[str, str], dict[str, str]]:
    """stems: name -> (samples,) float, all the same length. mixtures: audio folder (target, source)
    -> stem names summed into it; with ``floor`` a "floor" stem (the item's noise floor) is added to
    every mixture. Returns (mixture rel paths, stem rel paths)."""
    if floor:
        stems = dict(stems, floor=noise_floor(next(iter(stems.values())).size, out.rng(f"{item_id}/floor")))
        mixtures = {name: list(parts) + ["floor"] for name, parts in mixtures.items()}
    lengths = {v.size for v in stems.values()}
    if len(lengths) != 1:
        raise ValueError(f"item {item_id}: stems must have one length, got {sorted(lengths)}")
    for name, parts in mixtures.items():
        unknown = set(parts) - set(stems)
        if not parts or unknown:
            raise ValueError(f"item {item_id}: mixture {name!r} names unknown stems {sorted(unknown)}")
    gain = headroom_gain([sum(stems[p] for p in parts) for parts in mixtures.values()])
    grid = {k: on_pcm16_grid(gain * v) for k, v in stems.items()}
    mix_rels = {name: out.add_audio(f"{name}/{item_id}", sum(grid[p] for p in parts), sr)
                for name, parts in mixtures.items()}
    stem_rels = {k: out.add_audio(f"stems/{item_id}-{k}", v, sr) for k, v in grid.items()} if keep_stems else {}
    return mix_rels, stem_rels


def write_clip(out, name: str, item_id: str, wave: np.ndarray, sr: int, dbfs: float = -26.0) -> str:
    """A single clip (no mixture): RMS ``dbfs``, the item's noise floor (its own stream ``name``),
    a headroom gain, the PCM_16 grid. A silent clip is written as it is (no level, no floor), so
    that the item can say so instead of the build failing; returns its rel path."""
    from unison.core.signal import SILENCE_RMS, normalize_rms, rms

    x = np.asarray(wave, dtype=np.float64)
    if rms(x) >= SILENCE_RMS:
        x = normalize_rms(x, dbfs, f"{item_id} {name}")
        x = x + noise_floor(x.size, out.rng(f"{item_id}/{name}/floor"))
        x = headroom_gain([x]) * x
    return out.add_audio(f"{name}/{item_id}", on_pcm16_grid(x), sr)
