"""The ``seedtts`` layout: Seed-TTS eval's ``meta.lst`` and its per-language folders.

Export (under ``<DIR>/seedtts/``), one folder per language as the seed-tts-eval release has them::

    <lang>/meta.lst                    utt|prompt_text|prompt_wav|target_text, one line per utt, sorted
    <lang>/prompt-wavs/<utt>.wav       the zero-shot item's reference, byte-identical to the test set's

``utt`` is the item's ``meta.utt`` (Seed-TTS suites keep the release's utt ids) or, for items without
one (gender_tts), the item id. A line whose items have no reference (pure or gender-controlled TTS)
has empty prompt_text and prompt_wav fields. '|' and line breaks inside a text become spaces.

Outputs, as seed-tts-eval evaluates them: ``<lang>/<utt>.<ext>``. When a line has a zero-shot and a
pure-TTS item (seedtts), its file is the zero-shot item's output; the pure-TTS outputs go in another
folder scored with ``--system-arg tasks=tts``.
"""
from __future__ import annotations

from typing import Any

from bench.item import Item
from bench.layouts import Layout


def utt_of(item: Item) -> str:
    return str(item.meta.get("utt") or item.id)


def field(text: str | None) -> str:
    return " ".join(str(text or "").replace("|", " ").split())


class SeedTTSLayout(Layout):
    name = "seedtts"
    summary = "<lang>/<utt>.<ext>, utt as in the export's seedtts/<lang>/meta.lst"

    def stems(self, items: list[Item]) -> dict[str, list[str]]:
        return {it.id: [f"{it.lang}/{utt_of(it)}"] for it in items if it.lang}

    def rank(self, item: Item) -> int:
        return 0 if item.reference is not None else 1  # a meta.lst line is a zero-shot prompt -> target pair

    def export(self, items: list[Item], testset: Any) -> dict[str, bytes]:
        lines: dict[str, dict[str, str]] = {}  # lang -> utt -> line
        files: dict[str, bytes] = {}
        for it in sorted((it for it in items if it.lang and it.text), key=lambda it: (self.rank(it), it.id)):
            utt = utt_of(it)
            if utt in lines.setdefault(it.lang, {}):
                continue  # the line is written from its zero-shot item (lowest rank)
            prompt_wav = ""
            if it.reference is not None:
                prompt_wav = f"prompt-wavs/{utt}.wav"
                files[f"{it.lang}/{prompt_wav}"] = testset.path(it.reference).read_bytes()
            prompt_text = field(it.meta.get("prompt_text")) if it.reference is not None else ""
            lines[it.lang][utt] = f"{field(utt)}|{prompt_text}|{prompt_wav}|{field(it.text)}"
        for lang, by_utt in lines.items():
            files[f"{lang}/meta.lst"] = ("\n".join(by_utt[u] for u in sorted(by_utt)) + "\n").encode("utf-8")
        return files
