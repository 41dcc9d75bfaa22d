"""Whisper-large-v3 ASR through transformers, as seed-tts-eval runs it for English WER.

Protocol (seed-tts-eval run_wer.py): ``WhisperProcessor`` + ``WhisperForConditionalGeneration``
from ``openai/whisper-large-v3``; 16 kHz input; log-mel features from the processor (128 bins,
one 30 s window: longer audio is truncated to 30 s, shorter is zero-padded); greedy decoding
(num_beams=1, no sampling); the language is FORCED per item (the item's ``lang``, side input)
with task "transcribe"; special tokens are skipped in the decoded text. seed-tts-eval passes the
prompt as ``forced_decoder_ids`` (from ``processor.get_decoder_prompt_ids``); current transformers
rejects that argument, so the prompt goes in as ``language`` / ``task``, which puts the same
tokens in the decoder prompt (tests/bench/conformance checks both facts). No text normalisation
here: the WER/CER metrics normalise.

Weights: a local copy of the HF repo directory (config.json, model.safetensors,
preprocessor_config.json, tokenizer files, generation_config.json), found through the weights
resolver (explicit dir -> $UNISON_WHISPER_LARGE_V3 -> $UNISON_WEIGHTS_DIR/whisper-large-v3/ ->
local HF cache of openai/whisper-large-v3).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.extractors.base import Extractor
from bench.extractors.weights_common import unavailable_reason, weights_sha256
from bench.item import Item
from unison.core.weights import WeightSpec, resolve

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MODEL_ID = "openai/whisper-large-v3"
LANGUAGES = {"en": "english", "zh": "chinese"}

WEIGHTS = WeightSpec(
    name="whisper-large-v3",
    filename="model.safetensors",
    env="UNISON_WHISPER_LARGE_V3",
    hf_repo=MODEL_ID,
    how_to_get=f"on a machine with network, `huggingface-cli download {MODEL_ID}` (then copy the HF cache "
    "or the snapshot directory here)",
    # what WhisperProcessor / WhisperForConditionalGeneration read from the folder besides the weights
    companions=("config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                "tokenizer_config.json", "vocab.json", "merges.txt", "normalizer.json", "added_tokens.json",
                "special_tokens_map.json"),
)


class WhisperHFExtractor(Extractor):
    name = "whisper-large-v3-hf"
    sample_rate = SAMPLE_RATE
    batch_size = 8

    def __init__(self, weights: str | Path | None = None, max_new_tokens: int = 440):
        self.weights = weights
        self.max_new_tokens = max_new_tokens

    def available(self) -> str | None:
        return unavailable_reason(WEIGHTS, self.weights)

    def signature(self) -> dict[str, Any]:
        import transformers

        return {
            "model": MODEL_ID,
            "backend": f"transformers {transformers.__version__}",
            "weights_sha256": weights_sha256(WEIGHTS, self.weights),
            "sample_rate": SAMPLE_RATE,
            "crop_pad": "processor: one 30 s window (truncate longer, zero-pad shorter)",
            "decoding": {"num_beams": 1, "do_sample": False, "task": "transcribe", "language": "forced per item",
                         "max_new_tokens": self.max_new_tokens, "skip_special_tokens": True,
                         "prompt": "generate(language=, task=): <|sot|><|lang|><|transcribe|><|notimestamps|>; "
                                   "seed-tts-eval forces the same tokens with forced_decoder_ids, which current "
                                   "transformers rejects"},
        }

    def side_input(self, item: Item, role: str) -> str | None:
        return item.lang

    @cached_property
    def model_dir(self) -> Path:
        return resolve(WEIGHTS, self.weights).parent

    @cached_property
    def processor(self):
        from transformers import WhisperProcessor

        return WhisperProcessor.from_pretrained(self.model_dir, local_files_only=True)

    @cached_property
    def model(self):
        from transformers import WhisperForConditionalGeneration

        return WhisperForConditionalGeneration.from_pretrained(self.model_dir, local_files_only=True).eval()

    @torch.inference_mode()
    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        by_lang: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(sides):
            if lang not in LANGUAGES:
                raise ValueError(f"whisper-large-v3-hf: item language must be one of {sorted(LANGUAGES)} "
                                 f"(forced decoding), got {lang!r}; set 'lang' in the manifest")
            by_lang[lang].append(i)
        texts: list[str | None] = [None] * len(waves)
        for lang, idx in by_lang.items():
            ids = self.generate_ids([waves[i] for i in idx], lang)
            for i, text in zip(idx, self.processor.batch_decode(ids, skip_special_tokens=True)):
                texts[i] = text.strip()
        return [{"text": t} for t in texts]

    @torch.inference_mode()
    def generate_ids(self, waves: list[np.ndarray], lang: str) -> torch.Tensor:
        """Greedy token ids (n, tokens) with the decoder prompt <|sot|><|lang|><|transcribe|>..."""
        feats = self.processor.feature_extractor(
            [np.asarray(w, dtype=np.float32) for w in waves], sampling_rate=SAMPLE_RATE, return_tensors="pt"
        ).input_features  # (n, n_mels, 3000)
        return self.model.generate(feats, language=lang, task="transcribe", num_beams=1, do_sample=False,
                                   max_new_tokens=self.max_new_tokens)


def build(weights: str | Path | None = None) -> WhisperHFExtractor:
    return WhisperHFExtractor(weights)
