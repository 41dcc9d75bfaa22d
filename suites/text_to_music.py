"""text_to_music: a music caption -> music (UniFlow-Audio's T2M task; items use UNISON's ``t2a`` task,
whose table has no music-specific task).

paper (``data: paper``): MusicCaps (suites/_paper_music), caption -> its real 10 s clip, cropped /
zero-padded to ``seconds`` at ``sample_rate`` (soxr HQ). mini (``data: offline``): the only real music
on this machine, the instrument recordings of the stamp library (hobbies/music: cello, violin,
bassoon, drum kit, floor tom, crash cymbal; 2.8-8.1 s solo phrases), caption = the stamp's label
("A cello."), target = the recording repeated to fill ``seconds``. It stands in for MusicCaps only
in form (caption -> real music clip): six single-instrument phrases, no ensembles, no genres, and far
too few items for a stable Fréchet distance (FD cells are reported, not interpretable).
Every target carries the -80 dBFS noise floor (suites/_mix.noise_floor).
"""
from __future__ import annotations

from functools import partial
from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites import _paper_data as paper
from suites._compose import with_floor
from suites._mix import fill_scene
from suites._paper_music import MUSICCAPS_ENV, MUSICCAPS_LAYOUT, musiccaps
from suites._pools import SoundSrc, file_wave
from unison.core.signal import fit_length, seconds_to_samples

SUITE = "text_to_music"
MUSIC_CATEGORY = "hobbies/music/"


def offline_music() -> list[SoundSrc]:
    from unison.core.sources.sounds import tuxpaint_sounds

    return [SoundSrc(id=c.id, caption=c.caption_en, load=partial(file_wave, c.path))
            for c in tuxpaint_sounds() if c.id.startswith(MUSIC_CATEGORY)]


def paper_music(params: dict[str, Any]) -> list[SoundSrc]:
    root = paper.data_root(params, "musiccaps_root", MUSICCAPS_ENV, MUSICCAPS_LAYOUT, SUITE)
    clips = musiccaps(root, params.get("audio_pattern", "wav/{ytid}.wav"), bool(params.get("audioset_eval_only")))
    return [SoundSrc(id=c.ytid, caption=c.caption, load=partial(file_wave, c.path),
                     meta={"ytid": c.ytid, "start_s": c.start_s, "is_audioset_eval": c.audioset_eval})
            for c in clips]


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    seconds = float(params["seconds"])
    n_samples = seconds_to_samples(seconds, sr)
    pool = offline_music() if params.get("data", "offline") == "offline" else paper_music(params)
    if not pool:
        raise paper.PaperDataMissing(f"suite {SUITE!r}: no music recordings found (mini reads the stamp library's "
                                     f"{MUSIC_CATEGORY} sounds: apt-get install tuxpaint-stamps-default)")
    fill = params.get("fill", "loop")
    for src in sorted(pool, key=lambda s: s.id):
        item_id = "t2m-" + src.id.replace("/", "-")
        wave = src.load(sr)
        target = fill_scene(wave, n_samples, sr, "loop") if fill == "loop" else fit_length(wave, n_samples)
        rel = out.add_audio(f"target/{item_id}", with_floor(out, item_id, target), sr)
        out.add_item(Item(id=item_id, task="t2a", instruction=ins.text_to_music(src.caption), seconds=seconds,
                          seed=out.item_seed(item_id), target=rel, caption=src.caption,
                          meta={"source_clip": src.id, **src.meta}))
