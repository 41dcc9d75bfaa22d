"""LAION-CLAP audio and caption embeddings for the CLAP score, through the ``laion-clap`` package.

Variants: ``music_speech_audioset_epoch_15_esc_89.98.pt`` (HTSAT-base, no fusion; the paper
protocol) and ``630k-audioset-best.pt`` (HTSAT-tiny, no fusion). 48 kHz mono.
Audio path = ``CLAP_Module.get_audio_embedding_from_data``: int16 quantisation, clips shorter
than 10 s are repeat-padded (then zero-padded) to 480000 samples; longer ones are randomly cropped
("rand_trunc") — we seed numpy's RNG with 0 around each call (restoring its state) so that the
crop is reproducible. Text path = ``get_text_embedding`` of the item's caption (side input;
RoBERTa tokenizer, max 77 tokens). Both embeddings are L2-normalised by CLAP; the metric takes
their cosine.

Checkpoint: ``{"state_dict": ..., ...}`` with keys optionally prefixed "module."; loaded here with
``weights_only=True`` and the same key handling as laion-clap's own ``load_state_dict`` (strip
"module.", drop ``text_branch.embeddings.position_ids``, a buffer newer transformers no longer keep).

Offline needs: importing laion_clap loads the ``bert-base-uncased``, ``roberta-base`` and
``facebook/bart-base`` tokenizers, and constructing CLAP_Module loads ``roberta-base``'s config
and weights, all from the local Hugging Face cache (set HF_HUB_OFFLINE=1 on machines without
network). ``available()`` checks for them.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from bench.extractors.base import Extractor
from bench.extractors.weights_common import load_strict, torch_load_weights_only, weights_sha256
from bench.item import Item
from unison.core.weights import MissingWeightsError, WeightSpec, resolve

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
MAX_SAMPLES = 480000  # 10 s
CROP_SEED = 0
# (repo, file) that laion-clap reads from the HF hub cache at import / construction time.
HF_FILES = (
    ("bert-base-uncased", "vocab.txt"),
    ("roberta-base", "vocab.json"),
    ("roberta-base", "merges.txt"),
    ("roberta-base", "config.json"),
    ("facebook/bart-base", "vocab.json"),
    ("facebook/bart-base", "merges.txt"),
)
ROBERTA_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

VARIANTS = {
    "music-speech": dict(filename="music_speech_audioset_epoch_15_esc_89.98.pt", amodel="HTSAT-base",
                         url="https://huggingface.co/lukewys/laion_clap/resolve/main/music_speech_audioset_epoch_15_esc_89.98.pt"),
    "630k": dict(filename="630k-audioset-best.pt", amodel="HTSAT-tiny",
                 url="https://huggingface.co/lukewys/laion_clap/resolve/main/630k-audioset-best.pt"),
}


def weight_spec(variant: str) -> WeightSpec:
    v = VARIANTS[variant]
    return WeightSpec(name=f"laion-clap-{variant}", filename=v["filename"], hf_repo="lukewys/laion_clap",
                      how_to_get=f"download {v['url']}", url=v["url"])


def missing_hf_files() -> list[str]:
    """The roberta / bert / bart files laion-clap needs that the local HF cache lacks."""
    from huggingface_hub import try_to_load_from_cache

    def cached(repo: str, name: str) -> bool:
        return isinstance(try_to_load_from_cache(repo, name), str)

    missing = [f"{repo}/{name}" for repo, name in HF_FILES if not cached(repo, name)]
    if not any(cached("roberta-base", f) for f in ROBERTA_WEIGHT_FILES):
        missing.append("roberta-base/model.safetensors")
    return missing


def clap_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A laion-clap checkpoint's model state dict, with laion-clap's own key handling."""
    ckpt = torch_load_weights_only(path, "LAION-CLAP")
    sd = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(sd, dict) or not sd:
        raise ValueError(f"LAION-CLAP: {path} holds no state dict")
    if next(iter(sd)).startswith("module."):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    sd.pop("text_branch.embeddings.position_ids", None)
    if not any(k.startswith("audio_branch.") for k in sd):
        raise ValueError(f"LAION-CLAP: {path} has no 'audio_branch.*' weights; is it a CLAP checkpoint?")
    return sd


@contextmanager
def seeded_numpy(seed: int) -> Iterator[None]:
    """Seed numpy's global RNG (laion-clap crops long clips with it), restoring it afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


class LaionClapExtractor(Extractor):
    sample_rate = SAMPLE_RATE
    batch_size = 8

    def __init__(self, variant: str = "music-speech", weights: str | Path | None = None, amodel: str | None = None):
        if variant not in VARIANTS:
            raise ValueError(f"unknown LAION-CLAP variant {variant!r}; choose one of {sorted(VARIANTS)}")
        self.variant = variant
        self.name = f"laion-clap-{variant}"
        self.weights = weights
        self.amodel = amodel or VARIANTS[variant]["amodel"]
        self.spec = weight_spec(variant)

    def available(self) -> str | None:
        try:
            resolve(self.spec, self.weights)
        except (MissingWeightsError, ValueError) as err:
            return f"unavailable: {err}"
        try:
            import laion_clap  # noqa: F401
        except ImportError as err:
            return f"unavailable: python package laion-clap is not importable ({err}); `pip install laion-clap`"
        except Exception:  # noqa: BLE001 - its import reads tokenizers from the HF cache; checked below
            pass
        missing = missing_hf_files()
        if missing:
            return ("unavailable: laion-clap builds its text branch from the Hugging Face cache and these files "
                    f"are missing there: {missing}. On a machine with network, `huggingface-cli download` "
                    "roberta-base, bert-base-uncased and facebook/bart-base, and copy the HF cache here.")
        return None

    def signature(self) -> dict[str, Any]:
        try:
            from importlib.metadata import version

            pkg = version("laion_clap")
        except Exception:  # noqa: BLE001
            pkg = None
        return {
            "model": f"LAION-CLAP {VARIANTS[self.variant]['filename']}",
            "amodel": self.amodel, "tmodel": "roberta", "enable_fusion": False,
            "backend": f"laion-clap {pkg}",
            "weights_sha256": weights_sha256(self.spec, self.weights),
            "sample_rate": SAMPLE_RATE,
            "crop_pad": f"int16 quantise; < 10 s repeatpad to {MAX_SAMPLES}; > 10 s rand_trunc (numpy seed {CROP_SEED})",
            "text": "item caption (fallback: instruction), RoBERTa tokenizer, max_length 77",
        }

    def side_input(self, item: Item, role: str) -> str | None:
        return item.caption or item.instruction

    @cached_property
    def model(self):
        import laion_clap

        clap = laion_clap.CLAP_Module(enable_fusion=False, amodel=self.amodel, device="cpu")
        sd = clap_state_dict(resolve(self.spec, self.weights))
        load_strict(clap.model, sd, f"LAION-CLAP {self.variant}")
        return clap.eval()

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        if any(not s for s in sides):
            raise ValueError(f"{self.name}: every clip needs a caption (side input) for its text embedding")
        audio = []
        for wave in waves:
            with seeded_numpy(CROP_SEED):  # per clip, so the crop does not depend on batch composition
                emb = self.model.get_audio_embedding_from_data([np.asarray(wave, dtype=np.float32)], use_tensor=False)
            audio.append(emb[0])
        texts = self.model.get_text_embedding(list(sides), use_tensor=False)  # (N, D)
        return [{"audio_embedding": a.astype(np.float32), "text_embedding": t.astype(np.float32)}
                for a, t in zip(audio, texts)]


def music_speech() -> LaionClapExtractor:
    return LaionClapExtractor("music-speech")


def clap_630k() -> LaionClapExtractor:
    return LaionClapExtractor("630k")
