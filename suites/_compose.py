"""Writing composed items: stems on the PCM_16 grid, mixtures as exact sums of stems.

``write_mixtures`` is what makes the suites' relations hold in the stored files: one headroom gain
for all stems of an item (so SNRs and differences are kept and nothing clips), every stem rounded
to the PCM_16 grid, each mixture the plain sum of its stems. Stems are stored too (under
``stems/``, named in item.meta) so that anyone can check e.g. target == source - event.
"""
from __future__ import annotations

import numpy as np

from suites._mix import headroom_gain, on_pcm16_grid


def write_mixtures(out, item_id: str, stems: dict[str, np.ndarray], mixtures: dict[str, list[str]], sr: int,
                   keep_stems: bool = True) -> tuple[dict[str, str], dict[str, str]]:
    """stems: name -> (samples,) float, all the same length. mixtures: audio folder (target, source)
    -> stem names summed into it. Returns (mixture rel paths, stem rel paths)."""
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
