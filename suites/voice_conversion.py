"""voice_conversion: a source utterance + a reference clip of another speaker -> the source's words
in the reference speaker's voice (task ``voice_conversion``).

Per item: a source utterance of speaker A (item.source), a target speaker B != A (one person = one
speaker across engines, suites/_speakers) and a reference clip of B saying OTHER words
(item.reference). item.text = the source's words (WER). The parallel target (item.target, for
the oracle and MCD) is B saying the source's words, where one exists:
  mini: B is always an offline voice, so the target is that voice reading the source's words (a
        synthetic parallel target; the source may be a real asterisk prompt or another voice);
  paper: VCTK, where speakers read shared sentences: the target is B's recording of the same text
        when B has one, else the item has no target (MCD not applicable, the oracle fails it).
Source and target start ``edge`` seconds in, in one item length (whole seconds + 0.5 s beyond
``seconds``); every clip RMS -26 dBFS with its own noise floor on the PCM_16 grid. Subsets: parallel
(a target exists) / nonparallel.
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from suites import _instructions as ins
from suites._compose import write_clip
from suites._pools import SpeechSrc, pick, voice_wave
from suites._speakers import MINI_VOICES, by_speaker, choose, speaker_pool, voice_of
from suites.seedtts import item_seconds
from unison.core.signal import fade_raised_cosine, place, seconds_to_samples

SUITE = "voice_conversion"


def parallel(params: dict[str, Any], speakers: dict[str, list[SpeechSrc]], spk: str, src: SpeechSrc
             ) -> SpeechSrc | None:
    if params.get("data", "offline") == "offline":
        voice = voice_of(spk)
        return SpeechSrc(id=f"{voice}-says-{src.id}", text=src.text, lang="en", gender=None, speaker=spk,
                         load=lambda sr: voice_wave(voice, src.text, sr))
    same = [u for u in speakers[spk] if u.text == src.text]
    return same[0] if same else None


def build(params: dict[str, Any], out) -> None:
    sr = int(params.get("sample_rate", 16000))
    canvas, edge = float(params["seconds"]), float(params.get("edge", 0.25))
    offline = params.get("data", "offline") == "offline"
    speakers = by_speaker(speaker_pool(params, SUITE))
    targets = sorted(set(MINI_VOICES.values())) if offline else sorted(speakers)
    sources = pick(out.rng("select-source"), [u for utts in speakers.values() for u in utts], int(params["n"]),
                   "source utterances")
    for k, src in enumerate(sources):
        item_id = f"vc-{k:03d}"
        rng = out.rng(item_id)
        spk = choose(rng, [s for s in targets if s != src.speaker])
        ref = pick(rng, [u for u in speakers[spk] if u.text != src.text], 1, f"reference clips of {spk}")[0]
        tgt = parallel(params, speakers, spk, src)
        a = fade_raised_cosine(src.load(sr), sr)
        b = fade_raised_cosine(tgt.load(sr), sr) if tgt is not None else None
        seconds = item_seconds(canvas, max(a.size, b.size if b is not None else 0) / sr + 2 * edge)
        n_samples, offset = seconds_to_samples(seconds, sr), seconds_to_samples(edge, sr)
        source = write_clip(out, "source", item_id, place(a, n_samples, offset), sr)
        target = write_clip(out, "target", item_id, place(b, n_samples, offset), sr) if b is not None else None
        reference = write_clip(out, "reference", item_id, ref.load(sr), sr)
        out.add_item(Item(
            id=item_id, task="voice_conversion", instruction=ins.voice_conversion(), seconds=seconds,
            seed=out.item_seed(item_id), source=source, target=target, reference=reference, text=src.text,
            lang="en", subset="parallel" if target is not None else "nonparallel",
            meta={"source_speaker": src.speaker, "target_speaker": spk, "source_src": src.id,
                  "reference_src": ref.id, "reference_speaker": ref.speaker,
                  "reference_text": ref.text, "target_src": tgt.id if tgt is not None else None,
                  "parallel_target": "synthetic: the target speaker's offline voice reading the source's words"
                  if offline else ("the target speaker's recording of the same text" if tgt else "none")}))
