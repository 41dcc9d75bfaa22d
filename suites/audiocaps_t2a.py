"""audiocaps_t2a: text-to-audio on AudioCaps test (paper) or captioned real sound effects (mini).

Paper: one caption per clip (suites/_paper_data.audiocaps_test), target = the real 10 s clip
(cropped / zero-padded to ``seconds``); its meta keeps the release's youtube_id, audiocap_id (of
the caption used) and start_time, which the export's AudioCaps CSV and the ``files`` system's
``audiocaps`` layout name it by. Mini: ``n`` real tuxpaint stamp sounds chosen with the
suite seed, caption = the stamp's English label, target = the real recording repeated (with a
0.25 s gap) to fill ``seconds``, as AudioCaps clips are filled with their event.
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites._compose import with_floor
from suites._mix import loop_faded
from suites._pools import pick, sound_pool
from unison.core.signal import fit_length, seconds_to_samples

SUITE = "audiocaps_t2a"


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    seconds = float(params["seconds"])
    n_samples = seconds_to_samples(seconds, sr)
    pool = sound_pool(params, SUITE)
    n = params.get("n")
    chosen = pick(out.rng("selection"), pool, int(n), "sound clips") if n else sorted(pool, key=lambda s: s.id)
    fill = params.get("fill", "loop")
    for src in chosen:
        item_id = "t2a-" + src.id.replace("/", "-")
        wave = src.load(sr)
        target = loop_faded(wave, n_samples, sr) if fill == "loop" else fit_length(wave, n_samples)
        rel = out.add_audio(f"target/{item_id}", with_floor(out, item_id, target), sr)
        out.add_item(Item(id=item_id, task="t2a", instruction=ins.t2a(src.caption), seconds=seconds,
                          seed=out.item_seed(item_id), target=rel, caption=src.caption,
                          meta={"source_clip": src.id, **src.meta}))
