"""speech_in_scene: insert / delete / rewrite speech in a background scene.

Scene: a sound clip filled to the clip length (mini: real stamp sound repeated; paper: AudioCaps
clip), RMS -26 dBFS. Speech: faded, scaled to ``speech_snr_db`` over the scene, placed at a seeded
offset on a 0.1 s grid (stated in the insert instruction).
  insert:  source = scene,            target = scene + speech at the stated offset
  delete:  source = scene + speech,   target = scene
  rewrite: source = scene + speech1,  target = scene + speech2 (same speaker where the pool knows
           speakers, new words, same offset and RMS); item.text = the new words
Stems share one headroom gain and sit on the PCM_16 grid (exact relations; kept under stems/).
Subsets: insert, delete, rewrite. item.text / lang for WER / CER (not on delete), caption = what
the TARGET contains, for CLAP / GT CLAP; delete items are what removal@yamnet-speech scores.
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites._compose import write_mixtures
from suites._mix import fill_scene
from suites._pools import pick, sound_pool, speech_pool
from suites.seedtts import item_seconds
from unison.core.signal import (db, fade_raised_cosine, normalize_rms, place, rms, scale_to_snr,
                                seconds_to_samples)

SUITE = "speech_in_scene"
SCENE_DBFS = -26.0
EDGE = 0.3
RECIPES = {
    "insert": {"source": ["scene"], "target": ["scene", "speech"]},
    "delete": {"source": ["scene", "speech"], "target": ["scene"]},
    "rewrite": {"source": ["scene", "speech"], "target": ["scene", "new_speech"]},
}


def partner(rng, pool, sp):
    """Another utterance of the same speaker with different words (any other utterance if the
    pool has none, e.g. paper-scale Seed-TTS rows whose speakers are unknown)."""
    same = [s for s in pool if s.speaker == sp.speaker and s.text != sp.text]
    others = same or [s for s in pool if s.text != sp.text]
    return pick(rng, others, 1, "rewrite utterances")[0]


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    canvas = float(params["seconds"])
    snr_db = float(params.get("speech_snr_db", 5.0))
    fill = params.get("fill", "loop")
    scenes = sound_pool(params, SUITE)
    pools = {lang: speech_pool(params, SUITE, lang) for lang in params.get("langs", ["en", "zh"])}
    for task, counts in params["counts"].items():
        if task not in RECIPES:
            raise ValueError(f"suite {SUITE!r}: unknown sub-task {task!r}; allowed {list(RECIPES)}")
        for lang, n in counts.items():
            sel = out.rng(f"select-{task}-{lang}")
            speech = pick(sel, pools[lang], int(n), f"{lang} utterances")
            bgs = pick(sel, scenes, int(n), "scene clips")
            for k, (sp, sc) in enumerate(zip(speech, bgs)):
                item_id = f"{task}-{lang}-{k:03d}"
                rng = out.rng(item_id)
                new = partner(rng, pools[lang], sp) if task == "rewrite" else None
                words = fade_raised_cosine(sp.load(sr), sr)
                new_words = fade_raised_cosine(new.load(sr), sr) if new is not None else None
                longest = max(words.size, new_words.size if new_words is not None else 0)
                seconds = item_seconds(canvas, longest / sr + 2 * EDGE)
                n_samples = seconds_to_samples(seconds, sr)
                raw = sc.load(sr)
                scene = fill_scene(raw, n_samples, sr, fill)
                scene = normalize_rms(scene, SCENE_DBFS, sc.id)
                latest = seconds - EDGE - longest / sr  # latest start that keeps the speech inside
                start = round(float(rng.uniform(EDGE, max(latest, EDGE))), 1)
                offset = seconds_to_samples(start, sr)
                speech_c = place(scale_to_snr(scene, words, -snr_db), n_samples, offset)
                stems = {"scene": scene, "speech": speech_c}
                if new_words is not None:
                    old_level = db(rms(speech_c[offset: offset + words.size]))  # dBFS of the old words
                    stems["new_speech"] = place(normalize_rms(new_words, old_level, new.id), n_samples, offset)
                mixes, stem_rels = write_mixtures(out, item_id, stems, RECIPES[task], sr)
                said = new if task == "rewrite" else sp
                if task == "insert":
                    instruction = ins.sis_insert(sp.text, sp.gender, start)
                elif task == "delete":
                    instruction = ins.sis_delete()
                else:
                    instruction = ins.sis_rewrite(new.text)
                scene_cap = sc.caption.strip().rstrip(".")
                caption = scene_cap if task == "delete" else \
                    f"{scene_cap}, with {ins.SPEAKER_MID[said.gender]} speaking"
                out.add_item(Item(
                    id=item_id, task=f"sis_{task}", instruction=instruction, seconds=seconds,
                    seed=out.item_seed(item_id), source=mixes["source"], target=mixes["target"],
                    text=None if task == "delete" else said.text, lang=lang, caption=caption,
                    gender=None if task == "delete" else said.gender, subset=task,
                    meta={"stems": stem_rels, "recipe": RECIPES[task], "speech_start": start,
                          "speech_snr_db": snr_db, "scene_src": sc.id, "speech_src": sp.id,
                          **({"old_text": sp.text, "new_speech_src": new.id} if new is not None else {})}))
