"""Whisper-large-v3 ASR through the openai-whisper package (second backend of the same model).

``whisper.load_model(path)`` reads openai-whisper's own checkpoint format
``{"dims": ModelDimensions fields, "model_state_dict": ...}`` (weights_only). The published
``large-v3.pt`` has its sha256 in its download URL (``whisper._MODELS``); the resolver verifies
it unless the caller opts out (``verify_checksum=False``, recorded in the signature).

Decoding: ``whisper.transcribe`` with the item's language forced, task "transcribe", greedy
(temperature 0, no fallback, no beam search), no timestamps, no conditioning on previous text,
fp32. Audio longer than 30 s is decoded window by window by transcribe itself.
"""
from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bench.extractors.base import Extractor
from bench.extractors.weights_common import weights_sha256
from bench.item import Item
from unison.core.weights import MissingWeightsError, WeightSpec, resolve

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MODEL_NAME = "large-v3"
LANGUAGES = ("en", "zh")
DECODE_OPTIONS = {"task": "transcribe", "temperature": 0.0, "beam_size": None, "best_of": None,
                  "condition_on_previous_text": False, "without_timestamps": True, "fp16": False}


def published_sha256(name: str = MODEL_NAME) -> str | None:
    """The sha256 openai-whisper puts in the checkpoint's download URL (.../models/<sha256>/<name>.pt)."""
    import whisper

    url = whisper._MODELS.get(name)  # noqa: SLF001 - the package's own table of published files
    return url.split("/")[-2] if url else None


def published_url(name: str = MODEL_NAME) -> str | None:
    """openai-whisper's download address of the checkpoint (``whisper._MODELS``)."""
    import whisper

    return whisper._MODELS.get(name)  # noqa: SLF001 - the package's own table of published files


def weight_spec(verify: bool) -> WeightSpec:
    return WeightSpec(
        name="whisper-openai-large-v3",
        filename=f"{MODEL_NAME}.pt",
        env="UNISON_WHISPER_OPENAI_LARGE_V3",
        sha256=published_sha256() if verify else None,
        how_to_get="on a machine with network, `python -c \"import whisper; whisper.load_model('large-v3')\"` "
        "and copy ~/.cache/whisper/large-v3.pt",
        url=published_url(),
    )


class WhisperOpenAIExtractor(Extractor):
    name = "whisper-openai-large-v3"
    sample_rate = SAMPLE_RATE
    batch_size = 1

    def __init__(self, weights: str | Path | None = None, verify_checksum: bool = True):
        self.weights = weights
        self.verify_checksum = verify_checksum

    @property
    def spec(self) -> WeightSpec:
        return weight_spec(self.verify_checksum)

    def available(self) -> str | None:
        try:
            resolve(self.spec, self.weights)
        except (MissingWeightsError, ValueError) as err:
            return f"unavailable: {err}"
        return None

    def signature(self) -> dict[str, Any]:
        import whisper

        return {
            "model": f"openai-whisper {MODEL_NAME}",
            "backend": f"openai-whisper {whisper.__version__}",
            "weights_sha256": weights_sha256(self.spec, self.weights),
            "checksum_verified": self.verify_checksum,
            "sample_rate": SAMPLE_RATE,
            "crop_pad": "whisper.transcribe: 30 s windows (pads the last one)",
            "decoding": {**DECODE_OPTIONS, "language": "forced per item"},
        }

    def side_input(self, item: Item, role: str) -> str | None:
        return item.lang

    @cached_property
    def model(self):
        import whisper

        return whisper.load_model(str(resolve(self.spec, self.weights)), device="cpu").eval()

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        import whisper

        out = []
        for wave, lang in zip(waves, sides):
            if lang not in LANGUAGES:
                raise ValueError(f"whisper-openai-large-v3: item language must be one of {LANGUAGES} (forced "
                                 f"decoding), got {lang!r}; set 'lang' in the manifest")
            result = whisper.transcribe(self.model, np.asarray(wave, dtype=np.float32), language=lang,
                                        verbose=None, **DECODE_OPTIONS)
            out.append({"text": result["text"].strip()})
        return out


def build(weights: str | Path | None = None) -> WhisperOpenAIExtractor:
    return WhisperOpenAIExtractor(weights)
