"""identity: the pass-through floor of the input -> output suites. Returns each item's input audio
(item.source: the noisy speech, the band-limited signal, the two-speaker mixture, the source
utterance) as stored, cropped or zero-padded at the end to item.seconds at the file's own rate.

On speech enhancement / extraction it scores the "no processing" row; on super-resolution it is
the band-limited input itself (the interpolation baseline: the input already sits at the target
rate, so resampling adds nothing); on voice conversion it keeps the words (good WER) and the wrong
voice (low speaker SIM)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from bench.item import Item
from bench.systems.base import Generated, System, read_source
from unison.core.signal import fit_length

INPUT_TASKS = ("denoise", "super_resolution", "target_speaker_extraction", "voice_conversion")


class IdentitySystem(System):
    name = "identity"
    tasks = INPUT_TASKS
    batch_size = 16

    def signature(self) -> dict[str, Any]:
        return {"system": "identity", "version": "1",
                "returns": "item.source as stored (PCM_16 -> float32), fit to item.seconds at its own rate"}

    def generate(self, items: list[Item], root: Path) -> Iterator[Generated]:
        for it in items:
            wave, sr = read_source(it, root)
            yield Generated(fit_length(wave, it.samples(sr)), sr)
