"""A toy suite for the report tests: tone items with a source, a speaker reference and timed
segments, so every kind of clip and the boundary overlay appear (cheap: 0.5 s at 16 kHz)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from bench.item import Item
from bench.systems.base import Generated, System

SR = 16000
SUITE_YAML = """\
name: toy_report
version: "1"
tasks: [timed, edit_add]
builder: report_toys:build
seed: 1
scales:
  mini: {n: 6, seconds: 1.0}
generation: {seconds: 1.0}
metrics: [rmsdiff@toy, meanrms@toy, needsw@toy]
subsets: [sequential, overlapping]
validation: {duration_tolerance: 0.05, sample_rate: 16000}
"""


def tone(freq: float, seconds: float, amp: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def build(params: dict, out) -> None:
    n, seconds = int(params["n"]), float(params["seconds"])
    for k in range(n):
        item_id = f"item{k:03d}"
        overlapping = k % 2 == 1
        segs = ([{"start": 0.1, "end": 0.7, "caption": "a low hum"}, {"start": 0.3, "end": 0.9, "caption": "a beep"}]
                if overlapping else
                [{"start": 0.0, "end": 0.4, "caption": "a low hum"}, {"start": 0.5, "end": 0.9, "caption": "a beep"}])
        wave = np.zeros(int(seconds * SR), np.float32)
        for j, s in enumerate(segs):
            a, b = int(s["start"] * SR), int(s["end"] * SR)
            wave[a:b] += tone(200.0 * (j + 1) * (k + 1), (b - a) / SR)
        target = out.add_audio(f"target/{item_id}", wave, SR)
        source = out.add_audio(f"source/{item_id}", 0.5 * wave, SR)
        reference = out.add_audio(f"reference/{item_id}", tone(300.0, 0.5, 0.2), SR)
        out.add_item(Item(id=item_id, task="timed", instruction=f"a low hum then a beep <{item_id}>",
                          seconds=seconds, seed=out.item_seed(item_id), target=target, source=source,
                          reference=reference, caption="a low hum and a beep",
                          subset="overlapping" if overlapping else "sequential", segments=tuple(segs)))


def write_suite(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "toy_report.yaml"
    p.write_text(SUITE_YAML)
    return p



class GainSystem(System):
    """The target scaled by 1 + 0.2 (k + 1) for item k: every item scores differently on rmsdiff, so
    the worst-items view has something to rank (the oracle is exact everywhere, toy_bad fails)."""

    name = "toy_gain"
    batch_size = 2

    def signature(self) -> dict:
        return {"system": self.name}

    def generate(self, items, root):
        out = []
        for it in items:
            wave, sr = sf.read(str(Path(root) / it.target), dtype="float32")
            out.append(Generated(np.clip(wave * (1 + 0.2 * (int(it.id[-3:]) + 1)), -1, 1), sr))
        return out
