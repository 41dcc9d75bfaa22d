"""Microsoft CLAP (``msclap`` package, version "2023": HTSAT audio encoder + GPT-2 text encoder)
audio and caption embeddings, loaded by msclap's own ``CLAPWrapper`` from a file found by the
weights resolver.

Protocol (msclap 1.3.4, ``CLAPWrapper`` + ``configs/config_2023.yml``): audio at 44.1 kHz mono,
``duration`` 7 s: a shorter clip is repeated ceil(7 s / length) times and cut to 7 s, a longer
one is cropped at ``random.randrange(len - 7 s)``; the crop start comes from Python's ``random``
seeded with 0 around each clip (state restored), so it is reproducible. The audio embedding is
``clap.audio_encoder(x)[0]`` (1024-d projection), the text embedding
``clap.caption_encoder(tokens)`` of "<caption> <|endoftext|>" (GPT-2 tokenizer, pad token "!",
77 tokens); msclap's similarity L2-normalises both, the metric takes their cosine.
One documented deviation: msclap resamples with torchaudio's ``Resample`` when it reads a file;
here the runner's loader resamples (soxr HQ) and the wave is handed to msclap's model directly.

Weights: ``CLAP_weights_2023.pth`` = ``{"model": state_dict}`` (Hugging Face microsoft/msclap).
msclap loads it with ``strict=False``, which would silently keep random weights for a file of
another layout, so the loader first checks that the file's keys cover every model key.
Offline needs: GPT-2's config, tokenizer and weights in the local Hugging Face cache
(msclap calls ``AutoModel.from_pretrained("gpt2")`` / ``AutoTokenizer.from_pretrained("gpt2")``);
``available()`` checks for them.
"""
from __future__ import annotations

import random
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from bench.extractors.base import Extractor
from bench.extractors.weights_common import ResolvedWeights, torch_load_weights_only
from bench.item import Item
from unison.core.weights import WeightSpec, resolve

SAMPLE_RATE = 44100
DURATION_S = 7
WEIGHTS = WeightSpec(
    name="msclap-2023",
    filename="CLAP_weights_2023.pth",
    env="UNISON_MSCLAP_2023",
    hf_repo="microsoft/msclap",
    how_to_get="download https://huggingface.co/microsoft/msclap/resolve/main/CLAP_weights_2023.pth "
               "and put gpt2 (config, tokenizer, weights) in the Hugging Face cache",
    url="https://huggingface.co/microsoft/msclap/resolve/main/CLAP_weights_2023.pth",
)
HF_FILES = [("gpt2", "config.json"), ("gpt2", "vocab.json"), ("gpt2", "merges.txt")]
GPT2_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def missing_hf_files() -> list[str]:
    from huggingface_hub import try_to_load_from_cache

    def cached(repo: str, name: str) -> bool:
        return isinstance(try_to_load_from_cache(repo, name), str)

    missing = [f"{r}/{n}" for r, n in HF_FILES if not cached(r, n)]
    if not any(cached("gpt2", f) for f in GPT2_WEIGHT_FILES):
        missing.append("gpt2/model.safetensors")
    return missing


@contextmanager
def seeded_random(seed: int) -> Iterator[None]:
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def fit_duration(wave: np.ndarray, sr: int = SAMPLE_RATE, seconds: int = DURATION_S) -> torch.Tensor:
    """msclap's ``load_audio_into_tensor`` on an in-memory wave (repeat-pad or random crop)."""
    x = torch.from_numpy(np.asarray(wave, dtype=np.float32)).reshape(-1)
    n = seconds * sr
    if n >= x.shape[0]:
        x = x.repeat(int(np.ceil(n / x.shape[0])))[0:n]
    else:
        start = random.randrange(x.shape[0] - n)
        x = x[start:start + n]
    return torch.FloatTensor(x)


def check_layout(path: Path, model: torch.nn.Module) -> None:
    ckpt = torch_load_weights_only(path, "MS-CLAP")
    sd = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(sd, dict):
        raise ValueError(f"MS-CLAP: {path} is not an msclap checkpoint ({{'model': state_dict}})")
    missing = sorted(set(model.state_dict()) - set(sd))
    if missing:
        raise ValueError(f"MS-CLAP: {path} lacks {len(missing)} model keys (e.g. {missing[:5]}); "
                         "msclap would load it with strict=False and keep random weights")


class MSClapExtractor(ResolvedWeights, Extractor):
    spec = WEIGHTS
    name = "msclap-2023"
    sample_rate = SAMPLE_RATE
    batch_size = 8

    package = ("msclap", "pip install --no-deps msclap==1.3.4")

    def available(self) -> str | None:
        reason = super().available()
        if reason:
            return reason
        missing = missing_hf_files()
        if missing:
            return f"unavailable: msclap 2023 needs GPT-2 in the local Hugging Face cache; missing {missing}"
        return None

    def signature(self) -> dict[str, Any]:
        return {"model": "msclap 1.3.4 CLAPWrapper version 2023 (HTSAT + GPT-2)", **self.weights_signature(),
                "sample_rate": SAMPLE_RATE, "duration_s": DURATION_S,
                "crop_pad": "repeat to 7 s then cut; longer: random.randrange crop, random seeded 0 per clip",
                "resampler": "runner (soxr HQ) instead of msclap's torchaudio Resample",
                "text": "'<caption> <|endoftext|>', gpt2 tokenizer, pad '!', 77 tokens",
                "audio_embedding": "audio_encoder(x)[0] (1024)", "text_embedding": "caption_encoder (1024)"}

    def side_input(self, item: Item, role: str) -> str | None:
        return item.caption or item.instruction

    @cached_property
    def wrapper(self):
        from msclap.CLAPWrapper import CLAPWrapper

        path = resolve(WEIGHTS, self.weights)
        w = CLAPWrapper(model_fp=str(path), version="2023", use_cuda=False)
        check_layout(path, w.clap)
        return w

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        w = self.wrapper
        out = []
        texts = w.get_text_embeddings([s or "" for s in sides]).numpy()
        for wave, t in zip(waves, texts):
            with seeded_random(0):
                x = fit_duration(wave)
            audio = w._get_audio_embeddings(x.reshape(1, 1, -1))[0].numpy()
            out.append({"audio_embedding": audio.astype(np.float32), "text_embedding": t.astype(np.float32)})
        return out


def build(weights: str | Path | None = None) -> MSClapExtractor:
    return MSClapExtractor(weights)
