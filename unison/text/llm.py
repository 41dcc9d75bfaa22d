"""The frozen text LLM behind one interface: prompts -> selected hidden-state layers, cached on disk.

``build_text_encoder(cfg)`` costs nothing: the LLM (and its tokenizer) is loaded only when a
prompt/layer is missing from the hidden-state cache. Each prompt is run alone (batch 1, no padding),
so its features never depend on which other prompts share the batch; the batch is assembled
from the per-prompt, per-layer cache entries with right padding and a token mask.
Layer indices index Hugging Face ``hidden_states``: 0 = embeddings, L = after the final norm.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Callable

import torch

from unison.config import LLMConfig
from unison.text.hidden_state_cache import HiddenStateCache
from unison.text.loaders import KINDS, LoadedLLM, load_llm

log = logging.getLogger(__name__)

TEMPLATES = ("raw", "chat")


class PromptTooLongError(ValueError):
    """A prompt has more tokens than llm.max_tokens (prompts are never silently truncated)."""


@dataclass
class LLMFeatures:
    hidden: torch.Tensor  # (B, n_layers, S, H) float32, zeros where mask is False
    mask: torch.Tensor  # (B, S) bool, True = real token


def template_tag(cfg: LLMConfig) -> str:
    """The part of the model key that names how prompt text becomes model input."""
    if cfg.template == "raw":
        return "raw"
    if cfg.template == "chat":
        return "chat:" + hashlib.sha256(cfg.system_prompt.encode("utf-8")).hexdigest()[:16]
    raise ValueError(f"llm.template={cfg.template!r} is unknown; use one of {TEMPLATES}")


def model_key(cfg: LLMConfig) -> str:
    """Model id + revision + template + compute dtype + the numerics (torch version, MKL's
    reproducibility mode): everything that changes the features. Without the numerics, a cache
    filled by another torch or MKL mode would hand back features one bf16 step away from what
    this process computes, and the audio would depend on which process filled the cache."""
    from unison.core.determinism import settings

    numerics = settings()
    return (f"{cfg.kind}:{cfg.model_id}@{cfg.revision}|{template_tag(cfg)}|{cfg.dtype}"
            f"|torch {numerics['torch']}|MKL_CBWR {numerics['MKL_CBWR']}")


def tokenize_prompt(tokenizer, prompt: str, cfg: LLMConfig) -> list[int]:
    """Token ids of one prompt under the configured template (special tokens included)."""
    if cfg.template == "raw":
        return list(tokenizer(prompt, add_special_tokens=True)["input_ids"])
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"llm.template=chat but the tokenizer of {cfg.model_id} has no chat template; use llm.template=raw"
        )
    messages = [{"role": "system", "content": cfg.system_prompt}, {"role": "user", "content": prompt}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


class TextEncoder:
    """Frozen LLM features for prompts; see module docstring."""

    def __init__(self, cfg: LLMConfig, cache: HiddenStateCache, loader: Callable[[LLMConfig], LoadedLLM] = load_llm):
        if cfg.kind not in KINDS:
            raise ValueError(f"llm.kind={cfg.kind!r} is unknown; use one of {list(KINDS)}")
        if cfg.max_tokens < 1:
            raise ValueError(f"llm.max_tokens must be >= 1, got {cfg.max_tokens}")
        self.cfg = cfg
        self.cache = cache
        self.model_key = model_key(cfg)
        self.num_layers = cfg.num_layers
        self.hidden_size = cfg.hidden_size
        self.max_tokens = cfg.max_tokens
        self._loader = loader
        self._llm: LoadedLLM | None = None
        self.load_count = 0  # how many times the LLM was loaded (0 while every request is a cache hit)

    @property
    def llm(self) -> LoadedLLM:
        if self._llm is None:
            self._llm = self._loader(self.cfg)
            self.load_count += 1
        return self._llm

    def _too_long(self, prompt: str, n_tokens: int) -> PromptTooLongError:
        shown = prompt if len(prompt) <= 60 else prompt[:57] + "..."
        return PromptTooLongError(
            f"prompt {shown!r} has {n_tokens} tokens ({self.cfg.template} template), more than the limit "
            f"llm.max_tokens={self.max_tokens}; shorten the prompt or raise llm.max_tokens"
        )

    def _check_layers(self, layers: list[int]) -> None:
        if not layers:
            raise ValueError("encode() needs at least one layer index")
        bad = [i for i in layers if not isinstance(i, int) or not 0 <= i <= self.num_layers]
        if bad:
            raise ValueError(f"layer indices {bad} are outside 0..{self.num_layers} "
                             f"(hidden_states of {self.cfg.model_id}: 0 = embeddings, {self.num_layers} = final norm)")

    @torch.no_grad()
    def _run(self, prompt: str, layers: list[int]) -> dict[int, torch.Tensor]:
        """Run the LLM on one prompt and store the requested layers; returns {layer: (S, H)}."""
        llm = self.llm
        ids = tokenize_prompt(llm.tokenizer, prompt, self.cfg)
        if len(ids) > self.max_tokens:
            raise self._too_long(prompt, len(ids))
        if not ids:  # e.g. "" with a raw template and no BOS: no tokens, hence no features
            return {i: self.cache.put(self.model_key, prompt, i, torch.zeros(0, self.hidden_size)) for i in layers}
        input_ids = torch.tensor([ids], dtype=torch.long)  # (1, S)
        out = llm.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                        output_hidden_states=True, use_cache=False, return_dict=True)
        hidden_states = out.hidden_states
        if len(hidden_states) != self.num_layers + 1:
            raise RuntimeError(f"{self.cfg.model_id} returned {len(hidden_states)} hidden states, "
                               f"expected num_layers + 1 = {self.num_layers + 1}")
        return {i: self.cache.put(self.model_key, prompt, i, hidden_states[i][0].float()) for i in layers}

    def encode(self, prompts: list[str], layers: list[int]) -> LLMFeatures:
        """Selected hidden_states layers for each prompt, padded to the longest prompt."""
        if isinstance(prompts, str):
            raise TypeError("encode() takes a list of prompts, not a single string")
        layers = list(layers)
        self._check_layers(layers)
        per_prompt: dict[str, dict[int, torch.Tensor]] = {}
        for prompt in dict.fromkeys(prompts):  # unique, in order
            got = {i: self.cache.get(self.model_key, prompt, i) for i in layers}
            missing = [i for i, h in got.items() if h is None]
            if missing:
                got.update(self._run(prompt, missing))
            n_tokens = next(iter(got.values())).shape[0]
            if n_tokens > self.max_tokens:  # a cache entry made under a larger limit
                raise self._too_long(prompt, n_tokens)
            per_prompt[prompt] = got
        lengths = [next(iter(per_prompt[p].values())).shape[0] for p in prompts]
        seq = max([1, *lengths])  # at least one (masked) slot so an all-empty batch keeps a valid shape
        hidden = torch.zeros(len(prompts), len(layers), seq, self.hidden_size)  # (B, n_layers, S, H)
        mask = torch.zeros(len(prompts), seq, dtype=torch.bool)  # (B, S)
        for b, prompt in enumerate(prompts):
            n = lengths[b]
            mask[b, :n] = True
            for j, layer in enumerate(layers):
                hidden[b, j, :n] = per_prompt[prompt][layer].float()
        return LLMFeatures(hidden=hidden, mask=mask)


def build_text_encoder(cfg: LLMConfig) -> TextEncoder:
    """A TextEncoder with the hidden-state cache named by the config (nothing is loaded yet)."""
    cache = HiddenStateCache(cfg.cache_dir, storage_dtype=cfg.cache_dtype, memory_mb=cfg.memory_cache_mb)
    template_tag(cfg)  # validates llm.template early
    return TextEncoder(cfg, cache)
