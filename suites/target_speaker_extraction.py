"""target_speaker_extraction: a two-speaker mixture + an enrolment clip of the target speaker ->
the target's speech (task ``target_speaker_extraction``).

Per item: a target speaker T and an interfering speaker I != T (suites/_speakers: one person = one
speaker across engines); T's utterance and I's utterance both start ``edge`` seconds in (full
overlap), the interferer scaled so that 20 log10(rms(target stem) / rms(interferer stem)) = the
item's SIR (RMS over the whole item; ``sirs_db`` in turn). Stems share one headroom gain and sit on
the PCM_16 grid: source (mixture) = target + interferer, sample for sample (stems kept). The
enrolment clip (item.reference) is ANOTHER utterance of T (different words), RMS -26 dBFS with its own
noise floor. A silent clip (enrolment, target or interferer) is written as it is and flagged in
meta["input_error"]: speaker SIM fails that item (nothing voiced to embed), and so do the
sample-aligned metrics, with that reason; the build goes on.
item.text = T's words (WER). Subsets: sir<dB>.
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites._compose import write_clip, write_mixtures
from suites._pools import pick
from suites._speakers import by_speaker, choose, speaker_pool
from suites.seedtts import item_seconds
from unison.core.signal import SILENCE_RMS, fade_raised_cosine, place, rms, scale_to_snr, seconds_to_samples

SUITE = "target_speaker_extraction"
RECIPE = {"target": ["target"], "source": ["target", "interferer"]}


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    canvas, edge = float(params["seconds"]), float(params.get("edge", 0.25))
    sirs = [float(s) for s in params["sirs_db"]]
    speakers = by_speaker(speaker_pool(params, SUITE))
    usable = sorted(s for s, utts in speakers.items() if len({u.text for u in utts}) >= 2)
    if len(usable) < 2:
        raise ValueError(f"suite {SUITE!r}: need two speakers with two different utterances each, have {usable}")
    for k in range(int(params["n"])):
        item_id = f"tse-{k:03d}"
        rng = out.rng(item_id)
        spk = usable[k % len(usable)]
        tgt, enrol = pick(rng, speakers[spk], 2, f"utterances of {spk}")
        if enrol.text == tgt.text:
            enrol = pick(rng, [u for u in speakers[spk] if u.text != tgt.text], 1, f"other utterances of {spk}")[0]
        other = choose(rng, [s for s in sorted(speakers) if s != spk])
        intf = pick(rng, speakers[other], 1, f"utterances of {other}")[0]
        sir = sirs[k % len(sirs)]
        a, b = fade_raised_cosine(tgt.load(sr), sr), fade_raised_cosine(intf.load(sr), sr)
        seconds = item_seconds(canvas, max(a.size, b.size) / sr + 2 * edge)
        n_samples, offset = seconds_to_samples(seconds, sr), seconds_to_samples(edge, sr)
        enrol_wave = enrol.load(sr)
        silent = [f"the {role} clip {src.id} is silent (rms {rms(w):.1e})"
                  for role, src, w in (("target", tgt, a), ("interferer", intf, b), ("enrolment", enrol, enrol_wave))
                  if rms(w) < SILENCE_RMS]
        target = place(a, n_samples, offset)
        interferer = place(b, n_samples, offset)
        if rms(a) >= SILENCE_RMS and rms(b) >= SILENCE_RMS:
            interferer = scale_to_snr(target, interferer, sir)
        mixes, stems = write_mixtures(out, item_id, {"target": target, "interferer": interferer}, RECIPE, sr)
        reference = write_clip(out, "reference", item_id, enrol_wave, sr)
        meta: dict[str, Any] = {
            "sir_db": sir, "sir_rule": "20log10(rms(target stem)/rms(interferer stem)) over the whole item",
            "stems": stems, "recipe": RECIPE, "target_speaker": spk, "interferer_speaker": other,
            "target_src": tgt.id, "interferer_src": intf.id, "enrolment_src": enrol.id,
            "enrolment_speaker": enrol.speaker, "enrolment_text": enrol.text}
        if silent:  # the item is kept and fails its metrics with this reason; the build goes on
            meta["input_error"] = "; ".join(silent)
        out.add_item(Item(
            id=item_id, task="target_speaker_extraction", instruction=ins.target_speaker_extraction(),
            seconds=seconds, seed=out.item_seed(item_id), source=mixes["source"], target=mixes["target"],
            reference=reference, text=tgt.text, lang="en", gender=tgt.gender, subset=f"sir{sir:g}", meta=meta))
