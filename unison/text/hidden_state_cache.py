"""On-disk cache of frozen-LLM hidden states, one safetensors file per (prompt entry, layer).

An entry key is sha256 of (model_key, prompt); each selected layer is its own file, so two
models that consume different layer selections of the same LLM share the layers they have in
common. Files hold one tensor ``hidden`` of shape (S, H) in the storage dtype (bf16 by default:
the LLM runs in bf16, so bf16 storage loses nothing and, unlike fp16, cannot overflow on the
large outlier activations of Qwen-style models) plus metadata naming the model key, prompt and
layer. Writes are atomic (temp file + rename). A small in-memory LRU sits in front of the disk.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from unison.core.files import atomic_path
from unison.core.paths import cache_root

log = logging.getLogger(__name__)

# storage dtype name -> (torch dtype, short tag used in file names)
STORAGE_DTYPES: dict[str, tuple[torch.dtype, str]] = {
    "bfloat16": (torch.bfloat16, "bf16"),
    "float16": (torch.float16, "fp16"),
    "float32": (torch.float32, "fp32"),
}


class CorruptCacheEntryError(RuntimeError):
    """A cache file exists but cannot be read or does not match what it claims to hold."""


def default_cache_root() -> Path:
    """``$UNISON_CACHE_DIR/llm`` (default ``~/.cache/unison/llm``)."""
    return cache_root() / "llm"


def entry_key(model_key: str, prompt: str) -> str:
    """sha256 of the JSON pair (model_key, prompt): unambiguous for any strings."""
    return hashlib.sha256(json.dumps([model_key, prompt], ensure_ascii=False).encode("utf-8")).hexdigest()


class HiddenStateCache:
    """Per-layer hidden-state store: ``get(model_key, prompt, layer)`` / ``put(...)``."""

    def __init__(self, root: str | Path | None = None, storage_dtype: str = "bfloat16", memory_mb: float = 256):
        if storage_dtype not in STORAGE_DTYPES:
            raise ValueError(
                f"llm.cache_dtype={storage_dtype!r} is not supported; use one of {sorted(STORAGE_DTYPES)}"
            )
        self.root = Path(root) if root is not None else default_cache_root()
        self.storage_dtype, self.dtype_tag = STORAGE_DTYPES[storage_dtype]
        self.memory_bytes = int(memory_mb * (1 << 20))
        self._lru: OrderedDict[tuple[str, int], torch.Tensor] = OrderedDict()
        self._lru_bytes = 0
        self.disk_reads = 0  # counters make hit/miss behaviour testable and loggable
        self.disk_writes = 0

    def path(self, model_key: str, prompt: str, layer: int) -> Path:
        key = entry_key(model_key, prompt)
        return self.root / key[:2] / f"{key}.L{layer:03d}.{self.dtype_tag}.safetensors"

    def get(self, model_key: str, prompt: str, layer: int) -> torch.Tensor | None:
        """The cached (S, H) tensor in the storage dtype, or None on a miss."""
        mem_key = (entry_key(model_key, prompt), layer)
        hit = self._lru.get(mem_key)
        if hit is not None:
            self._lru.move_to_end(mem_key)
            return hit
        file = self.path(model_key, prompt, layer)
        if not file.is_file():
            return None
        hidden = self._read(file, model_key, prompt, layer)
        self.disk_reads += 1
        self._remember(mem_key, hidden)
        return hidden

    def put(self, model_key: str, prompt: str, layer: int, hidden: torch.Tensor) -> torch.Tensor:
        """Store one layer's (S, H) hidden states; returns the stored (storage-dtype) tensor."""
        if hidden.dim() != 2:
            raise ValueError(f"expected hidden states of shape (S, H), got {tuple(hidden.shape)}")
        stored = hidden.detach().to("cpu", self.storage_dtype).contiguous()
        if not torch.isfinite(stored).all():
            raise ValueError(
                f"layer {layer} of {model_key!r} is not finite in {self.dtype_tag} storage "
                "(fp16 overflows on large activations: set llm.cache_dtype=bfloat16)"
            )
        file = self.path(model_key, prompt, layer)
        meta = {"model_key": model_key, "prompt": prompt, "layer": str(layer), "n_tokens": str(stored.shape[0])}
        with atomic_path(file) as tmp:
            save_file({"hidden": stored}, str(tmp), metadata=meta)
        self.disk_writes += 1
        self._remember((entry_key(model_key, prompt), layer), stored)
        return stored

    def _read(self, file: Path, model_key: str, prompt: str, layer: int) -> torch.Tensor:
        try:
            with safe_open(str(file), framework="pt") as f:
                meta = f.metadata() or {}
            hidden = load_file(str(file))["hidden"]
        except (SafetensorError, KeyError, OSError) as err:
            raise CorruptCacheEntryError(f"cannot read LLM hidden-state cache file {file}: {err}. Delete it to recompute.") from err
        if meta.get("model_key") != model_key or meta.get("prompt") != prompt or meta.get("layer") != str(layer):
            raise CorruptCacheEntryError(
                f"LLM hidden-state cache file {file} holds (model_key={meta.get('model_key')!r}, layer={meta.get('layer')}) "
                f"but was looked up for (model_key={model_key!r}, layer={layer}). Delete it to recompute."
            )
        if hidden.dtype != self.storage_dtype or hidden.dim() != 2:
            raise CorruptCacheEntryError(f"LLM hidden-state cache file {file} has {hidden.dtype} {tuple(hidden.shape)}; delete it")
        return hidden

    def _remember(self, mem_key: tuple[str, int], hidden: torch.Tensor) -> None:
        size = hidden.numel() * hidden.element_size()
        if size > self.memory_bytes:
            return
        old = self._lru.pop(mem_key, None)
        if old is not None:
            self._lru_bytes -= old.numel() * old.element_size()
        self._lru[mem_key] = hidden
        self._lru_bytes += size
        while self._lru_bytes > self.memory_bytes:
            _, evicted = self._lru.popitem(last=False)
            self._lru_bytes -= evicted.numel() * evicted.element_size()

    def clear_memory(self) -> None:
        self._lru.clear()
        self._lru_bytes = 0
