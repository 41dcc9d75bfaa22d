"""ablations: the paper's ablation table (conditioning, arch, params, FD, CLAP, WER-EN) as ONE test
set composed from other suites, run once per checkpoint listed in the YAML's ``checkpoints`` field.

params: ``scale`` (which scale of the named suites to build) and ``parts``: a list of
{suite, version, subset, n, filter}. Each part runs that suite's own builder with its own name and seed (so
it picks exactly the items that suite picks), keeps the first ``n`` items (by id) whose fields match
``filter`` (e.g. {task: tts, lang: en}), and adds them with ids ``<position>-<subset>-<id>`` and
subset ``<subset>`` (the position prefix interleaves the parts, so a limited run still covers
every column). Only the kept items' audio is written (buffered until an item is accepted).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.item import Item
from bench.registry import import_target, load_suite
from bench.testset import AUDIO_FIELDS
from unison.core.seeds import item_seed

SUITE = "ablations"


class PartWriter:
    """What a part's builder writes into: seeds as the original suite, audio buffered in memory."""

    def __init__(self, suite: str, base_seed: int):
        self.suite = suite
        self.base_seed = base_seed
        self.audio: dict[str, tuple[np.ndarray, int]] = {}
        self.items: list[Item] = []

    def item_seed(self, item_id: str) -> int:
        return item_seed(self.suite, item_id, self.base_seed)

    def rng(self, item_id: str) -> np.random.Generator:
        return np.random.default_rng(self.item_seed(item_id))

    def add_audio(self, name: str, wave: np.ndarray, sr: int) -> str:
        rel = f"audio/{name if name.endswith('.wav') else name + '.wav'}"
        self.audio[rel] = (np.asarray(wave), int(sr))
        return rel

    def add_item(self, item: Item) -> None:
        self.items.append(item)


def matches(item: Item, flt: dict[str, Any]) -> bool:
    return all(getattr(item, k) == v for k, v in flt.items())


def build(params: dict[str, Any], out) -> None:
    scale = params["scale"]
    for part in params["parts"]:
        spec = load_suite(part["suite"])
        if spec.name == SUITE:
            raise ValueError(f"suite {SUITE!r}: a part cannot be the ablations suite itself")
        if str(part.get("version")) != spec.version:
            # the part's version is part of this suite's params, hence of its build key: a changed
            # sub-suite must change this file, or a stale composed test set would be reused
            raise ValueError(f"suite {SUITE!r}: part {spec.name!r} pins version {part.get('version')!r} but the "
                             f"suite is at version {spec.version!r}; update scales.*.parts[].version")
        sub = PartWriter(spec.name, spec.seed)
        import_target(spec.builder, f"suite {spec.name!r} builder")(spec.params(scale), sub)
        kept = [it for it in sorted(sub.items, key=lambda it: it.id) if matches(it, part.get("filter", {}))]
        n = part.get("n")
        if n is not None and len(kept) < int(n):
            raise ValueError(f"suite {SUITE!r}: part {part['suite']} ({scale}) has {len(kept)} matching items, "
                             f"{n} wanted")
        prefix = part["subset"]
        for pos, it in enumerate(kept[: int(n) if n is not None else None]):
            # "<position>-<subset>-<id>": manifests sort by id, so the parts interleave and the first
            # N items of the test set (--limit, --unison-limit) cover every column of the table
            new_id = f"{pos:03d}-{prefix}-{it.id}"
            fields = {}
            for f in AUDIO_FIELDS:
                rel = getattr(it, f)
                if rel is not None:
                    wave, sr = sub.audio[rel]
                    fields[f] = out.add_audio(f"{prefix}/{rel.removeprefix('audio/')}", wave, sr)
            meta = {k: v for k, v in it.meta.items() if k not in ("stems",)}
            meta.update(from_suite=spec.name, from_id=it.id)
            out.add_item(Item(id=new_id, task=it.task, instruction=it.instruction, seconds=it.seconds,
                              seed=out.item_seed(new_id), text=it.text, lang=it.lang, caption=it.caption,
                              gender=it.gender, subset=prefix, segments=it.segments, meta=meta, **fields))
