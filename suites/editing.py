"""editing: add / remove / replace, built from clips (paper: AudioCaps test; mini: real stamp sounds).

Per item: a background A (filled to the clip length, RMS -26 dBFS) and an event B (one occurrence,
at most ``max_event_s`` long, faded, at a seeded offset, scaled to ``event_snr_db`` over A). Replace
also draws C, placed at B's offset with B's RMS.
  add:     source = A,      target = A + B
  remove:  source = A + B,  target = A          (target == source - B, sample for sample)
  replace: source = A + B,  target = A + C
All stems share one headroom gain and sit on the PCM_16 grid, so the relations are exact in the
stored files (stems are kept: meta "stems"). Subsets: add, remove, replace; the runner's overall row
covers all three. Captions describe the TARGET (for CLAP / GT CLAP).
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites._compose import write_mixtures
from suites._mix import fill_scene
from suites._pools import caption_phrase, pick, sound_pool
from unison.core.signal import fade_raised_cosine, normalize_rms, place, scale_to_snr, seconds_to_samples

SUITE = "editing"
SUBTASKS = ("add", "remove", "replace")
BACKGROUND_DBFS = -26.0
RECIPES = {  # stems summed into source / target
    "add": {"source": ["bg"], "target": ["bg", "event"]},
    "remove": {"source": ["bg", "event"], "target": ["bg"]},
    "replace": {"source": ["bg", "event"], "target": ["bg", "new_event"]},
}


def event_stem(clip, n_samples: int, offset: int, sr: int, max_event_s: float, bg, snr_db: float):
    x = fade_raised_cosine(clip.load(sr)[: int(max_event_s * sr)], sr)
    x = scale_to_snr(bg, x, -snr_db)  # rms(event) / rms(bg) = +snr_db
    return place(x, n_samples, offset), x.size


def target_caption(task: str, bg: str, event: str, new: str | None) -> str:
    if task == "add":
        return f"{bg.strip().rstrip('.')} and {caption_phrase(event)}"
    if task == "remove":
        return bg.strip().rstrip(".")
    return f"{bg.strip().rstrip('.')} and {caption_phrase(new)}"


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    seconds = float(params["seconds"])
    n_samples = seconds_to_samples(seconds, sr)
    snr_db = float(params.get("event_snr_db", 0.0))
    max_event_s = float(params.get("max_event_s", 3.0))
    fill = params.get("fill", "loop")
    pool = sound_pool(params, SUITE)
    for task in params.get("subtasks", list(SUBTASKS)):
        if task not in RECIPES:
            raise ValueError(f"suite {SUITE!r}: unknown sub-task {task!r}; allowed {list(RECIPES)}")
        n = int(params["n_per_subtask"])
        rng_sel = out.rng(f"select-{task}")
        for k in range(n):
            item_id = f"{task}-{k:03d}"
            rng = out.rng(item_id)
            a, b, c = pick(rng_sel, pool, 3, "sound clips")
            raw = a.load(sr)
            bg = fill_scene(raw, n_samples, sr, fill)
            bg = normalize_rms(bg, BACKGROUND_DBFS, a.id)
            span = min(max_event_s, seconds / 2)
            offset = int(rng.integers(0, n_samples - int(span * sr)))
            ev, ev_len = event_stem(b, n_samples, offset, sr, max_event_s, bg, snr_db)
            stems = {"bg": bg, "event": ev}
            if task == "replace":
                stems["new_event"], _ = event_stem(c, n_samples, offset, sr, max_event_s, bg, snr_db)
            mixes, stem_rels = write_mixtures(out, item_id, stems, RECIPES[task], sr)
            instruction = {"add": lambda: ins.edit_add(b.caption), "remove": lambda: ins.edit_remove(b.caption),
                           "replace": lambda: ins.edit_replace(b.caption, c.caption)}[task]()
            out.add_item(Item(
                id=item_id, task=f"edit_{task}", instruction=instruction, seconds=seconds,
                seed=out.item_seed(item_id), source=mixes["source"], target=mixes["target"],
                caption=target_caption(task, a.caption, b.caption, c.caption if task == "replace" else None),
                subset=task,
                meta={"stems": stem_rels, "recipe": RECIPES[task], "event_offset": round(offset / sr, 4),
                      "event_seconds": round(min(ev_len, n_samples - offset) / sr, 4),
                      "clips": {"bg": a.id, "event": b.id, **({"new_event": c.id} if task == "replace" else {})}}))
