"""HiddenStateCache: per-layer safetensors entries, atomic writes, storage dtypes, memory LRU, bad files."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from unison.text.hidden_state_cache import CorruptCacheEntryError, HiddenStateCache, entry_key


def test_roundtrip_and_file_layout(tmp_path):
    cache = HiddenStateCache(tmp_path, storage_dtype="bfloat16")
    h = torch.randn(5, 8)
    assert cache.get("m", "a dog", 3) is None
    stored = cache.put("m", "a dog", 3, h)
    file = cache.path("m", "a dog", 3)
    key = entry_key("m", "a dog")
    assert file == tmp_path / key[:2] / f"{key}.L003.bf16.safetensors" and file.is_file()
    assert [p.name for p in file.parent.iterdir()] == [file.name]  # no temp file left behind
    fresh = HiddenStateCache(tmp_path, storage_dtype="bfloat16")
    got = fresh.get("m", "a dog", 3)
    assert got.dtype == torch.bfloat16 and torch.equal(got, stored) and fresh.disk_reads == 1
    torch.testing.assert_close(got.float(), h, rtol=1 / 128, atol=0)
    assert fresh.get("m", "a dog", 2) is None and fresh.get("m2", "a dog", 3) is None


def test_keys_do_not_collide_on_concatenation():
    assert entry_key("ab", "c") != entry_key("a", "bc")


def test_storage_dtypes_are_separate_entries(tmp_path):
    h = torch.randn(2, 4)
    HiddenStateCache(tmp_path, storage_dtype="float32").put("m", "p", 1, h)
    assert HiddenStateCache(tmp_path, storage_dtype="float16").get("m", "p", 1) is None
    assert torch.equal(HiddenStateCache(tmp_path, storage_dtype="float32").get("m", "p", 1), h)
    with pytest.raises(ValueError, match="llm.cache_dtype"):
        HiddenStateCache(tmp_path, storage_dtype="int8")


def test_fp16_overflow_is_refused(tmp_path):
    # Gemma-3 270M middle layers reach |h| ~ 1e5 (measured), beyond fp16's 65504
    with pytest.raises(ValueError, match="not finite.*bfloat16"):
        HiddenStateCache(tmp_path, storage_dtype="float16").put("m", "p", 1, torch.tensor([[1e5, 0.0]]))
    HiddenStateCache(tmp_path, storage_dtype="bfloat16").put("m", "p", 1, torch.tensor([[1e5, 0.0]]))


def test_memory_lru_is_bounded(tmp_path):
    cache = HiddenStateCache(tmp_path, storage_dtype="float32", memory_mb=3 * 4 * 64 / (1 << 20))  # 3 entries
    for i in range(4):
        cache.put("m", f"p{i}", 0, torch.full((4, 16), float(i)))
    assert cache.get("m", "p3", 0) is not None and cache.disk_reads == 0
    assert cache.get("m", "p0", 0) is not None and cache.disk_reads == 1  # evicted, re-read from disk
    assert cache._lru_bytes <= cache.memory_bytes


def test_empty_entry(tmp_path):
    HiddenStateCache(tmp_path).put("m", "", 1, torch.zeros(0, 8))
    assert HiddenStateCache(tmp_path).get("m", "", 1).shape == (0, 8)


def test_bad_files_are_clear_errors(tmp_path):
    cache = HiddenStateCache(tmp_path, storage_dtype="float32")
    file = cache.path("m", "p", 1)
    file.parent.mkdir(parents=True)
    file.write_bytes(b"not a safetensors file")
    with pytest.raises(CorruptCacheEntryError, match="Delete it"):
        cache.get("m", "p", 1)
    save_file({"hidden": torch.zeros(1, 2)}, str(file), metadata={"model_key": "other", "prompt": "p", "layer": "1"})
    with pytest.raises(CorruptCacheEntryError, match="model_key='other'"):
        cache.get("m", "p", 1)
