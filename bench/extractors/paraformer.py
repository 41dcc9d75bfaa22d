"""paraformer-zh ASR through funasr, as seed-tts-eval runs it for Chinese CER.

Protocol (seed-tts-eval run_wer.py): ``funasr.AutoModel(model="paraformer-zh")`` (no VAD, no
punctuation model), ``model.generate(input=..., batch_size_s=300)``, take ``res[0]["text"]``,
then traditional -> simplified with ``zhconv.convert(text, "zh-cn")``. Scoring (punctuation
removal, per-character split) is the CER metric's job.

Which model: with funasr's default hub (ModelScope), "paraformer-zh" is
``iic/speech_seaco_paraformer_large_asr_nat-zh-cn-16k-common-vocab8404-pytorch``, a SeACo-Paraformer
(``model: SeacoParaformer`` in its config.yaml). The Hugging Face repo funasr/paraformer-zh (what
``hub="hf"`` gives) is reported to hold a plain Paraformer-large instead; the signature records the
directory's architecture and a warning is logged when it is not SeacoParaformer.

Offline: the model directory (config.yaml, model.pt, tokens.json, am.mvn, configuration.json, ...) is
found through the weights resolver and given to AutoModel as a local path (an existing path is never
downloaded), with funasr's PyPI update check disabled. funasr's own loader is lenient (checkpoint keys
it does not find are only printed, shape mismatches skipped); here a shape mismatch is an error and
a checkpoint that leaves model parameters uninitialised is rejected.
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
from unison.core.weights import MissingWeightsError, WeightSpec, resolve

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
    "16k-common-vocab8404-pytorch), the SeACo-Paraformer seed-tts-eval scores with",
    snapshot=True,  # funasr builds the model from the whole folder (config.yaml, tokens, CMVN, ...)
)
PROTOCOL_ARCHITECTURE = "SeacoParaformer"


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese, as seed-tts-eval (zhconv, 'zh-cn')."""
    import zhconv

    return zhconv.convert(text, "zh-cn")


def architecture(model_dir: Path) -> str | None:
    """The ``model:`` class named by ``model_dir/config.yaml`` (None when it cannot be read)."""
    import yaml

    try:
        cfg = yaml.safe_load((model_dir / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError):
        return None
    return cfg.get("model") if isinstance(cfg, dict) and isinstance(cfg.get("model"), str) else None


def _checkpoint_keys(path: Path) -> set[str]:
    """Parameter names in a funasr model.pt, unwrapped and de-prefixed the way funasr's loader does."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)  # no second copy in RAM
    except RuntimeError:
        obj = torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) pickles cannot mmap
    for wrapper in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj, dict) and wrapper in obj:
            obj = obj[wrapper]
    if not isinstance(obj, dict):
        raise ValueError(f"paraformer-zh: {path} is not a state dict (got {type(obj).__name__})")
    return {k.removeprefix("module.") for k in obj}


def check_all_parameters_loaded(model, checkpoint: Path) -> None:
    """funasr only prints the model parameters its checkpoint lacks and leaves them at random init;
    that would score CER with a partly random model, so it is an error here."""
    missing = sorted(set(model.state_dict()) - _checkpoint_keys(checkpoint))
    if missing:
        raise ValueError(f"paraformer-zh: {checkpoint} lacks {len(missing)} parameters of the model its config.yaml "
                         f"describes (e.g. {missing[:5]}); config.yaml and model.pt must come from the same published "
                         f"directory")


def _package_problem() -> str | None:
    # find_spec, not import: importing funasr registers ~200 modules (35 s on a loaded 2-core
    # machine), and a run asks every extractor whether it is available, weights or not.
    from importlib.util import find_spec

    for pkg in ("funasr", "zhconv"):
        if find_spec(pkg) is None:
            return f"unavailable: python package '{pkg}' is not installed; `pip install {pkg}`"
    return None


class ParaformerZhExtractor(Extractor):
    name = "paraformer-zh"
    sample_rate = SAMPLE_RATE
    batch_size = 8

    def __init__(self, weights: str | Path | None = None):
        self.weights = weights

    def available(self) -> str | None:
        return unavailable_reason(WEIGHTS, self.weights) or _package_problem()

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
            "architecture": self._architecture(),
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

    def _architecture(self) -> str | None:
        try:
            return architecture(resolve(WEIGHTS, self.weights).parent)
        except (MissingWeightsError, ValueError):
            return None

    @cached_property
    def model(self):
        import torch
        from funasr import AutoModel

        model_dir = self.model_dir
        arch = architecture(model_dir)
        if arch != PROTOCOL_ARCHITECTURE:
            log.warning("paraformer-zh: %s holds a %s, not the %s seed-tts-eval's paraformer-zh resolves to; "
                        "CER will not be comparable with published numbers", model_dir, arch, PROTOCOL_ARCHITECTURE)
        try:
            auto = AutoModel(
                model=str(model_dir), device="cpu", disable_update=True, disable_pbar=True, log_level="ERROR",
                ncpu=torch.get_num_threads(),  # funasr otherwise sets the whole process to 4 threads
                ignore_init_mismatch=False,  # funasr otherwise keeps random weights where shapes differ
            )
        except Exception as err:  # noqa: BLE001 - funasr raises many kinds; re-raised with the directory named
            raise RuntimeError(f"paraformer-zh: funasr could not build the model from {model_dir}: {err}") from err
        check_all_parameters_loaded(auto.model, model_dir / "model.pt")
        return auto

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for wave, lang in zip(waves, sides):
            if lang not in (None, "zh"):
                raise ValueError(f"paraformer-zh transcribes Mandarin only; got an item with lang={lang!r}")
            res = self.model.generate(input=np.asarray(wave, dtype=np.float32), batch_size_s=BATCH_SIZE_S)
            # funasr returns no result at all when the CIF predictor fires no token (e.g. silence):
            # that is an empty hypothesis, not an error.
            text = res[0]["text"] if res else ""
            out.append({"text": to_simplified(text)})
        return out


def build(weights: str | Path | None = None) -> ParaformerZhExtractor:
    return ParaformerZhExtractor(weights)
