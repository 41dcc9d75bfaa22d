"""paraformer-zh ASR through funasr, as seed-tts-eval runs it for Chinese CER.

Protocol (seed-tts-eval run_wer.py): ``funasr.AutoModel(model="paraformer-zh")`` (no VAD, no
punctuation model), ``model.generate(input=..., batch_size_s=300)``, take ``res[0]["text"]``,
then traditional -> simplified with ``zhconv.convert(text, "zh-cn")``. Scoring (punctuation
removal, per-character split) is the CER metric's job.

Offline: funasr's name "paraformer-zh" resolves to a ModelScope download; here the model directory
(config.yaml, model.pt, tokens.json, am.mvn, ... as published in
``iic/speech_seaco_paraformer_large_asr_nat-zh-cn-16k-common-vocab8404-pytorch`` / HF
``funasr/paraformer-zh``) is found through the weights resolver and given to AutoModel as a local
path, with funasr's update check disabled.
"""
from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from bench.extractors.base import Extractor
from bench.extractors.weights_common import unavailable_reason, weights_sha256
from bench.item import Item
from unison.weights import WeightSpec, resolve

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
BATCH_SIZE_S = 300
MODEL_ID = "funasr/paraformer-zh"
DIR_FILES = ("config.yaml", "model.pt")  # the two files without which funasr cannot build the model

WEIGHTS = WeightSpec(
    name="paraformer-zh",
    filename="model.pt",
    env="UNISON_PARAFORMER_ZH",
    hf_repo=MODEL_ID,
    how_to_get="on a machine with network, `python -c \"from funasr import AutoModel; AutoModel(model='paraformer-zh')\"` "
    "and copy the model directory (~/.cache/modelscope/hub/models/iic/speech_seaco_paraformer_large_asr_nat-zh-cn-"
    "16k-common-vocab8404-pytorch), or `huggingface-cli download funasr/paraformer-zh`",
)


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese, as seed-tts-eval (zhconv, 'zh-cn')."""
    import zhconv

    return zhconv.convert(text, "zh-cn")


def _package_problem() -> str | None:
    for pkg in ("funasr", "zhconv"):
        try:
            __import__(pkg)
        except ImportError as err:
            return f"unavailable: python package '{pkg}' is not installed ({err}); `pip install {pkg}`"
    return None


class ParaformerZhExtractor(Extractor):
    name = "paraformer-zh"
    sample_rate = SAMPLE_RATE
    batch_size = 8

    def __init__(self, weights: str | Path | None = None):
        self.weights = weights

    def available(self) -> str | None:
        return _package_problem() or unavailable_reason(WEIGHTS, self.weights)

    def signature(self) -> dict[str, Any]:
        versions = {}
        for pkg in ("funasr", "zhconv"):
            try:
                versions[pkg] = __import__(pkg).__version__
            except (ImportError, AttributeError):
                versions[pkg] = None
        return {
            "model": "paraformer-zh (funasr AutoModel, no VAD / punctuation models)",
            "backend": versions,
            "weights_sha256": weights_sha256(WEIGHTS, self.weights),
            "sample_rate": SAMPLE_RATE,
            "decoding": {"batch_size_s": BATCH_SIZE_S},
            "crop_pad": "whole clip",
            "postprocess": "zhconv.convert(text, 'zh-cn') (traditional -> simplified)",
        }

    def side_input(self, item: Item, role: str) -> str | None:
        return item.lang

    @cached_property
    def model_dir(self) -> Path:
        model_dir = resolve(WEIGHTS, self.weights).parent
        missing = [f for f in DIR_FILES if not (model_dir / f).is_file()]
        if missing:
            raise FileNotFoundError(f"paraformer-zh: model directory {model_dir} lacks {missing}; copy the whole "
                                    f"published directory ({WEIGHTS.how_to_get})")
        return model_dir

    @cached_property
    def model(self):
        from funasr import AutoModel

        try:
            return AutoModel(model=str(self.model_dir), device="cpu", disable_update=True, disable_pbar=True,
                             log_level="ERROR")
        except Exception as err:  # noqa: BLE001 - funasr raises many kinds; re-raised with the directory named
            raise RuntimeError(f"paraformer-zh: funasr could not build the model from {self.model_dir}: {err}") from err

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for wave, lang in zip(waves, sides):
            if lang not in (None, "zh"):
                raise ValueError(f"paraformer-zh transcribes Mandarin only; got an item with lang={lang!r}")
            res = self.model.generate(input=np.asarray(wave, dtype=np.float32), batch_size_s=BATCH_SIZE_S)
            out.append({"text": to_simplified(res[0]["text"])})
        return out


def build(weights: str | Path | None = None) -> ParaformerZhExtractor:
    return ParaformerZhExtractor(weights)
