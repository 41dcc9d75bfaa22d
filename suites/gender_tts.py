"""gender_tts: gender-controlled TTS, balanced bilingual (paper: 300 items; the paper does not
publish its list, so it is generated here deterministically).

Sentences: ``sentences: builtin`` = suites/_sentences.py (documented lists); ``sentences: seedtts``
= the target_text column of Seed-TTS eval's meta.lst ($SEEDTTS_EVAL_ROOT/{en,zh}/meta.lst).
For each language ``n_per_lang`` sentences are drawn without replacement with the suite seed and
alternately assigned "male" / "female" (so every language is exactly balanced). The instruction
states the gender ("A man says: ..."), item.gender holds it. Subsets: male-en, female-en, male-zh,
female-zh.

Targets (``targets: voices``): a pseudo ground truth spoken by an offline voice of the stated gender
(round-robin over that gender's voices), zero-padded to ``seconds`` (extended like seedtts when
longer); ``targets: none`` leaves items without a target (the oracle cannot run on them).
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites import _paper_data as paper
from suites._compose import with_floor
from suites._pools import OFFLINE_VOICES, voice_wave
from suites._sentences import SENTENCES
from suites.seedtts import item_seconds
from unison.core.signal import fit_length, seconds_to_samples
from unison.core.sources.voices import VOICES

SUITE = "gender_tts"
GENDERS = ("male", "female")


def sentence_list(params: dict[str, Any], lang: str) -> list[str]:
    kind = params.get("sentences", "builtin")
    if kind == "builtin":
        return list(SENTENCES[lang])
    if kind == "seedtts":
        root = paper.data_root(params, "seedtts_root", paper.SEEDTTS_ENV, paper.SEEDTTS_LAYOUT, SUITE)
        return sorted({r.target_text for r in paper.seedtts_rows(root, lang)})
    raise ValueError(f"suite {SUITE!r}: param sentences={kind!r} must be 'builtin' or 'seedtts'")


def voices_by_gender(lang: str) -> dict[str, list[str]]:
    return {g: [v for v in OFFLINE_VOICES[lang] if VOICES[v].gender == g] for g in GENDERS}


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    canvas = float(params["seconds"])
    n = int(params["n_per_lang"])
    if n % 2:
        raise ValueError(f"suite {SUITE!r}: n_per_lang={n} must be even (balanced male / female)")
    targets = params.get("targets", "voices")
    for lang in params.get("langs", ["en", "zh"]):
        sentences = sentence_list(params, lang)
        if len(sentences) < n:
            raise ValueError(f"suite {SUITE!r}: {n} {lang} sentences wanted, only {len(sentences)} available")
        order = out.rng(f"sentences-{lang}").permutation(len(sentences))[:n]
        voices = voices_by_gender(lang)
        for k, idx in enumerate(order):
            gender = GENDERS[k % 2]
            text = sentences[int(idx)]
            item_id = f"{lang}-{gender}-{k:03d}"
            target_rel, seconds, meta = None, canvas, {"sentence_index": int(idx)}
            if targets == "voices":
                voice = voices[gender][(k // 2) % len(voices[gender])]
                wave = voice_wave(voice, text, sr)
                seconds = item_seconds(canvas, wave.size / sr)
                target = fit_length(wave, seconds_to_samples(seconds, sr))
                target_rel = out.add_audio(f"target/{item_id}", with_floor(out, item_id, target), sr)
                meta["target_voice"] = voice
            elif targets != "none":
                raise ValueError(f"suite {SUITE!r}: param targets={targets!r} must be 'voices' or 'none'")
            out.add_item(Item(id=item_id, task="tts", instruction=ins.tts(text, gender), seconds=seconds,
                              seed=out.item_seed(item_id), target=target_rel, text=text, lang=lang,
                              gender=gender, subset=f"{gender}-{lang}", meta=meta))
