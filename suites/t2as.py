"""t2as: text-to-(speech + audio). Pseudo ground truth = speech and a sound mixed at 0 dB SNR
(paper: Seed-TTS speech + AudioCaps clip; mini: offline voices / real asterisk speech + a real
stamp sound repeated to fill the clip).

Mixing (suites/_compose.write_mixtures): speech faded, RMS-normalised to -23 dBFS, placed at a
seeded offset; the sound filled to the clip length and scaled so that rms(speech stem) ==
rms(sound stem) over the whole clip (``snr_db``, default 0); one headroom gain; both stems on the
PCM_16 grid; target = speech + sound. item.text / lang for WER/CER, caption (sound + "speaking")
for CLAP. Subsets: en, zh.
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites._compose import write_mixtures
from suites._mix import fill_scene
from suites._pools import caption_phrase, pick, sound_pool, speech_pool
from suites.seedtts import item_seconds
from unison.core.signal import fade_raised_cosine, normalize_rms, place, scale_to_snr, seconds_to_samples

SUITE = "t2as"
SPEECH_DBFS = -23.0
EDGE = 0.25  # s of room before / after the speech


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    canvas = float(params["seconds"])
    snr_db = float(params.get("snr_db", 0.0))
    fill = params.get("fill", "loop")
    sounds = sound_pool(params, SUITE)
    for lang in params.get("langs", ["en", "zh"]):
        n = int(params[f"n_{lang}"])
        speech = pick(out.rng(f"speech-{lang}"), speech_pool(params, SUITE, lang), n, f"{lang} utterances")
        bg = pick(out.rng(f"sounds-{lang}"), sounds, n, "sound clips")
        for k, (sp, snd) in enumerate(zip(speech, bg)):
            item_id = f"{lang}-{k:03d}"
            rng = out.rng(item_id)
            words = fade_raised_cosine(sp.load(sr), sr)
            seconds = item_seconds(canvas, words.size / sr + 2 * EDGE)
            n_samples = seconds_to_samples(seconds, sr)
            room = n_samples - words.size - 2 * seconds_to_samples(EDGE, sr)
            offset = seconds_to_samples(EDGE, sr) + int(rng.integers(0, max(room, 0) + 1))
            speech_c = place(normalize_rms(words, SPEECH_DBFS, sp.id), n_samples, offset)
            raw = snd.load(sr)
            sound_c = fill_scene(raw, n_samples, sr, fill)
            sound_c = scale_to_snr(speech_c, sound_c, snr_db)
            mixes, stems = write_mixtures(out, item_id, {"speech": speech_c, "sound": sound_c},
                                          {"target": ["speech", "sound"]}, sr)
            caption = f"{snd.caption.strip().rstrip('.')}, with {ins.SPEAKER_MID[sp.gender]} speaking"
            out.add_item(Item(
                id=item_id, task="t2as", instruction=ins.t2as(snd.caption, sp.text, sp.gender), seconds=seconds,
                seed=out.item_seed(item_id), target=mixes["target"], text=sp.text, lang=lang, caption=caption,
                gender=sp.gender, subset=lang,
                meta={"speech_stem": stems["speech"], "sound_stem": stems["sound"], "snr_db": snr_db,
                      "speech_offset": round(offset / sr, 4), "speech_src": sp.id, "sound_src": snd.id,
                      "sound_caption": caption_phrase(snd.caption)}))
