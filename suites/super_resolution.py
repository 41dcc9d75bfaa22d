"""super_resolution: band-limited audio -> full band (task ``super_resolution``).

The target is a real recording at ``sample_rate`` (RMS -26 dBFS, plus the deterministic -80 dBFS
noise floor, one headroom gain, PCM_16 grid). The input (item.source) is that stored target low-passed
at the item's cut-off (suites/_bandlimit: Chebyshev II, zero phase, >= 120 dB stop band) and stored at
the same rate, so it has no energy above the cut-off (beyond PCM_16 rounding) and is sample-aligned
with the target. Cut-offs of ``cutoffs_hz`` are used in turn; a cut-off at or above Nyquist is a
config error when the test set is built. Subsets: cut<k>k per cut-off; meta["kind"]: speech / sound / music.
mini (``data: offline``): speech = offline voices (suites/_pools, whole band of their 16 kHz
output; the 8 kHz asterisk prompts are left out: they have nothing above 4 kHz), sound = real stamp
sounds recorded at >= 32 kHz (not the music ones), music = the stamp library's instrument recordings
(hobbies/music); speech is placed 0.25 s in, sound and music are repeated to fill ``seconds``.
A clip whose low band holds less than ``min_lowband_db`` of its energy at its cut-off is skipped
(the input would be near silence).
paper (``data: paper``): $SR_EVAL_ROOT/<kind>/*.wav|flac, the UniFlow-Audio / AudioSR evaluation
sets as local full-band files (vctk: VCTK test speakers, esc50: ESC-50 audio, musdb: MUSDB18-HQ test
mixtures), first ``seconds`` of each, resampled to ``sample_rate`` (soxr HQ).
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from bench.item import Item
from bench.spec import SpecError
from suites import _instructions as ins
from suites import _paper_data as paper
from suites._bandlimit import FILTER, check_cutoff, energy_above_db, lowpass
from suites._compose import with_floor
from suites._mix import fill_scene, headroom_gain, on_pcm16_grid
from suites._pools import SoundSrc, file_wave, offline_voice_speech, sound_pool
from unison.core.signal import fade_raised_cosine, fit_length, normalize_rms, place, seconds_to_samples
from unison.core.sources.sounds import tuxpaint_sounds

SUITE = "super_resolution"
LEVEL_DBFS = -26.0
SR_ENV = "SR_EVAL_ROOT"
SR_LAYOUT = "<root>/<kind>/*.wav|*.flac full-band recordings, kind in vctk, esc50, musdb"
MUSIC_CATEGORY = "hobbies/music"
EDGE = 0.25


def cutoff_subset(cutoff_hz: float) -> str:
    return f"cut{cutoff_hz / 1000:g}k"


def _native_rate(path) -> int:
    import soundfile as sf

    return int(sf.info(str(path)).samplerate)


def offline_sources(params: dict[str, Any]) -> dict[str, list]:
    sounds = sound_pool(params, SUITE)
    paths = {c.id: c.path for c in tuxpaint_sounds()}
    wide = [s for s in sounds if _native_rate(paths[s.id]) >= 32000]
    return {"speech": offline_voice_speech("en"),
            "sound": [s for s in wide if not s.id.startswith(MUSIC_CATEGORY)],
            "music": [s for s in wide if s.id.startswith(MUSIC_CATEGORY)]}


def paper_sources(params: dict[str, Any]) -> dict[str, list]:
    root = paper.data_root(params, "sr_root", SR_ENV, SR_LAYOUT, SUITE)
    out = {}
    for kind in params.get("kinds", ["vctk", "esc50", "musdb"]):
        files = sorted(p for p in (root / kind).glob("*") if p.suffix.lower() in (".wav", ".flac"))
        if not files:
            raise paper.PaperDataMissing(f"suite {SUITE!r}: no audio in {root / kind}; expected {SR_LAYOUT}")
        out[kind] = [SoundSrc(id=f"{kind}-{p.stem}", caption="", load=partial(file_wave, p)) for p in files]
    return out


def full_band(src, kind: str, n_samples: int, sr: int, fill: str) -> np.ndarray:
    x = src.load(sr)
    if kind == "speech":
        return place(fade_raised_cosine(x, sr), n_samples, seconds_to_samples(EDGE, sr))
    if fill == "crop":
        return fit_length(fade_raised_cosine(x[:n_samples], sr), n_samples)
    return fill_scene(x, n_samples, sr, fill)


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    try:
        cutoffs = [check_cutoff(c, sr, SUITE) for c in params["cutoffs_hz"]]
    except ValueError as e:
        raise SpecError(f"{e} (field scales.<scale>.cutoffs_hz)") from e
    seconds = float(params["seconds"])
    n_samples = seconds_to_samples(seconds, sr)
    min_low = float(params.get("min_lowband_db", -20.0))
    data = params.get("data", "offline")
    sources = offline_sources(params) if data == "offline" else paper_sources(params)
    fill = params.get("fill", "loop")
    n_per = params.get("n_per_kind")
    for kind, pool in sources.items():
        order = np.asarray(out.rng(f"select-{kind}").permutation(len(pool)))
        pool = sorted(pool, key=lambda s: s.id)
        made = 0
        for idx in order:
            if n_per is not None and made >= int(n_per):
                break
            src = pool[int(idx)]
            cutoff = cutoffs[made % len(cutoffs)]
            item_id = f"{made:03d}-{kind}"  # sorted ids interleave the kinds (a first-N run sees all)
            x = full_band(src, kind, n_samples, sr, fill)
            if not np.any(x):
                continue
            x = normalize_rms(x, LEVEL_DBFS, src.id)
            if 10 * np.log10(np.sum(lowpass(x, cutoff, sr) ** 2) / np.sum(x ** 2)) < min_low:
                continue  # almost nothing below the cut-off: the input would be near silence
            x = with_floor(out, item_id, x)
            target = on_pcm16_grid(headroom_gain([x]) * x)
            band = lowpass(target, cutoff, sr)
            low = on_pcm16_grid(band)
            tgt_rel = out.add_audio(f"target/{item_id}", target, sr)
            src_rel = out.add_audio(f"source/{item_id}", low, sr)
            out.add_item(Item(
                id=item_id, task="super_resolution", instruction=ins.super_resolution(cutoff), seconds=seconds,
                seed=out.item_seed(item_id), source=src_rel, target=tgt_rel,
                text=getattr(src, "text", None), lang="en" if kind in ("speech", "vctk") else None,
                caption=getattr(src, "caption", None) or None, subset=cutoff_subset(cutoff),
                meta={"kind": kind, "cutoff_hz": cutoff, "filter": FILTER, "src": src.id,
                      "input_energy_above_cutoff_db": round(energy_above_db(low, cutoff, sr), 2)}))
            made += 1
        if n_per is not None and made < int(n_per):
            raise ValueError(f"suite {SUITE!r}: only {made} of {n_per} {kind} clips are usable "
                             f"(min_lowband_db {min_low:g})")
