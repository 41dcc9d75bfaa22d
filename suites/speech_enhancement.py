"""speech_enhancement: noisy speech -> clean speech (task ``denoise``).

mini (``data: offline``): a clean utterance (offline voices + real asterisk prompts, suites/_pools) placed
``edge`` seconds into a canvas of ``seconds`` (longer speech extends the item to whole seconds + 0.5 s)
and a real stamp sound repeated to fill the item as the noise, scaled so that
20 log10(rms(speech stem) / rms(noise stem)) = the item's SNR (RMS over the whole item; the SNRs of
``snrs_db`` are used in turn). Stems share one headroom gain and sit on the PCM_16 grid:
source (noisy) = target (clean) + noise, sample for sample in the stored files (stems kept).
paper (``data: paper``): VoiceBank-DEMAND test pairs (suites/_paper_speech), resampled to
``sample_rate`` (soxr HQ), each file at its own length; a pair whose files differ in rate or length is
kept and flagged in meta["input_error"], which every sample-aligned metric reports as that item's
error. item.reference is the clean target too, so sim@resemblyzer measures speaker preservation.
Subsets: snr<dB> (mini), "voicebank" (paper).
"""
from __future__ import annotations

from typing import Any

import soundfile as sf

from bench.item import Item
from suites import _instructions as ins
from suites import _paper_speech as ps
from suites._compose import write_mixtures
from suites._mix import fill_scene
from suites._pools import file_wave, pick, sound_pool, speech_pool
from suites.seedtts import item_seconds
from unison.core.signal import fade_raised_cosine, place, scale_to_snr, seconds_to_samples

SUITE = "speech_enhancement"
RECIPE = {"target": ["speech"], "source": ["speech", "noise"]}


def snr_subset(snr_db: float) -> str:
    return f"snr{snr_db:g}"


def build(params: dict[str, Any], out) -> None:
    if params.get("data", "offline") == "paper":
        return build_voicebank(params, out)
    sr = int(params.get("sample_rate", 16000))
    canvas, edge = float(params["seconds"]), float(params.get("edge", 0.25))
    snrs = [float(s) for s in params["snrs_db"]]
    n = int(params["n"])
    speech = pick(out.rng("select-speech"), speech_pool(params, SUITE, "en"), n, "English utterances")
    noises = pick(out.rng("select-noise"), sound_pool(params, SUITE), n, "noise clips")
    for k, (sp, nz) in enumerate(zip(speech, noises)):
        item_id = f"se-{k:03d}"
        snr = snrs[k % len(snrs)]
        words = fade_raised_cosine(sp.load(sr), sr)
        seconds = item_seconds(canvas, words.size / sr + 2 * edge)
        n_samples = seconds_to_samples(seconds, sr)
        clean = place(words, n_samples, seconds_to_samples(edge, sr))
        noise = scale_to_snr(clean, fill_scene(nz.load(sr), n_samples, sr, "loop"), snr)
        mixes, stems = write_mixtures(out, item_id, {"speech": clean, "noise": noise}, RECIPE, sr)
        out.add_item(Item(
            id=item_id, task="denoise", instruction=ins.denoise(), seconds=seconds, seed=out.item_seed(item_id),
            source=mixes["source"], target=mixes["target"], reference=mixes["target"], text=sp.text, lang="en",
            gender=sp.gender, subset=snr_subset(snr),
            meta={"snr_db": snr, "snr_rule": "20log10(rms(speech stem)/rms(noise stem)) over the whole item",
                  "stems": stems, "recipe": RECIPE, "speech_src": sp.id, "noise_src": nz.id}))


def build_voicebank(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    root = ps.root_of(params, "voicebank_root", ps.VOICEBANK_ENV, ps.VOICEBANK_LAYOUT, SUITE)
    pairs = ps.voicebank_pairs(root)
    limit = params.get("n")
    for pair in pairs[: int(limit)] if limit else pairs:
        ci, ni = sf.info(str(pair.clean)), sf.info(str(pair.noisy))
        problems = []
        if ci.samplerate != ni.samplerate:
            problems.append(f"clean is {ci.samplerate} Hz but noisy is {ni.samplerate} Hz")
        if ci.frames * ni.samplerate != ni.frames * ci.samplerate:
            problems.append(f"clean lasts {ci.duration:.3f} s but noisy {ni.duration:.3f} s")
        clean, noisy = file_wave(pair.clean, sr), file_wave(pair.noisy, sr)
        target = out.add_audio(f"target/{pair.id}", clean, sr)
        source = out.add_audio(f"source/{pair.id}", noisy, sr)
        meta: dict[str, Any] = {"clean_file": pair.clean.name, "noisy_file": pair.noisy.name}
        if problems:
            meta["input_error"] = "VoiceBank-DEMAND pair does not match: " + "; ".join(problems)
        out.add_item(Item(
            id=pair.id, task="denoise", instruction=ins.denoise(), seconds=round(clean.size / sr, 4),
            seed=out.item_seed(pair.id), source=source, target=target, reference=target, text=pair.text,
            lang="en" if pair.text else None, subset="voicebank", meta=meta))
