"""TextEncoder on tiny real-format checkpoints: loading, layer selection, templates, cache, errors."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from safetensors.torch import load_file

from unison.config import LLMConfig
from unison.core.weights import MissingWeightsError
from unison.text.hidden_state_cache import HiddenStateCache
from unison.text.llm import PromptTooLongError, TextEncoder, build_text_encoder, model_key
from unison.text.loaders import load_llm

from tiny_llms import LLAMA_HIDDEN, LLAMA_LAYERS, QWEN_HIDDEN, QWEN_LAYERS


def qwen_cfg(path, cache_dir, **kw) -> LLMConfig:
    base = dict(kind="qwen2_5_omni", model_id="tiny/qwen-omni", path=str(path), num_layers=QWEN_LAYERS,
                hidden_size=QWEN_HIDDEN, dtype="float32", cache_dir=str(cache_dir), cache_dtype="float32")
    base.update(kw)
    return LLMConfig(**base)


def llama_cfg(path, cache_dir, **kw) -> LLMConfig:
    base = dict(kind="hf_causal", model_id="tiny/llama", path=str(path), num_layers=LLAMA_LAYERS,
                hidden_size=LLAMA_HIDDEN, dtype="float32", cache_dir=str(cache_dir), cache_dtype="float32")
    base.update(kw)
    return LLMConfig(**base)


def reference_thinker_states(path, ids: list[int]) -> tuple[torch.Tensor, ...]:
    """hidden_states straight from the full Qwen2.5-Omni model, independent of our loader."""
    from transformers import Qwen2_5OmniConfig, Qwen2_5OmniForConditionalGeneration

    full = Qwen2_5OmniForConditionalGeneration(Qwen2_5OmniConfig.from_pretrained(str(path))).eval()
    full.load_state_dict(load_file(str(path / "model.safetensors")))
    with torch.no_grad():
        return full.thinker.model(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states


def test_qwen_omni_loader_keeps_only_the_frozen_text_model(tiny_qwen_omni_dir, tmp_path):
    from transformers.models.qwen2_5_omni.modeling_qwen2_5_omni import Qwen2_5OmniThinkerTextModel

    llm = load_llm(qwen_cfg(tiny_qwen_omni_dir, tmp_path))
    assert isinstance(llm.model, Qwen2_5OmniThinkerTextModel)
    assert (llm.num_layers, llm.hidden_size) == (QWEN_LAYERS, QWEN_HIDDEN)
    assert not llm.model.training
    assert not any(p.requires_grad for p in llm.model.parameters())
    saved = load_file(str(tiny_qwen_omni_dir / "model.safetensors"))
    assert torch.equal(saved["thinker.model.layers.2.self_attn.q_proj.weight"],
                       llm.model.layers[2].self_attn.q_proj.weight)


def test_qwen_omni_encode_selects_the_right_hidden_states(tiny_qwen_omni_dir, tmp_path):
    enc = build_text_encoder(qwen_cfg(tiny_qwen_omni_dir, tmp_path))
    layers = [1, 3, 0]  # order is the caller's; 3 = L = after the final norm
    feats = enc.encode(["a dog barks in the rain", "thunder"], layers)
    assert feats.hidden.shape == (2, 3, 6, QWEN_HIDDEN) and feats.hidden.dtype == torch.float32
    assert feats.mask.tolist() == [[True] * 6, [True] + [False] * 5]
    ids = enc.llm.tokenizer("a dog barks in the rain")["input_ids"]
    ref = reference_thinker_states(tiny_qwen_omni_dir, ids)
    assert len(ref) == QWEN_LAYERS + 1
    for j, layer in enumerate(layers):
        torch.testing.assert_close(feats.hidden[0, j], ref[layer][0], rtol=1e-5, atol=1e-5)
    assert torch.count_nonzero(feats.hidden[1, :, 1:]) == 0  # padding is zero


def test_bf16_cache_matches_the_model_within_bf16_rounding(tiny_qwen_omni_dir, tmp_path):
    enc = build_text_encoder(qwen_cfg(tiny_qwen_omni_dir, tmp_path, cache_dtype="bfloat16"))
    feats = enc.encode(["a dog barks"], [2])
    file = enc.cache.path(enc.model_key, "a dog barks", 2)
    assert file.name.endswith(".bf16.safetensors") and load_file(str(file))["hidden"].dtype == torch.bfloat16
    ref = reference_thinker_states(tiny_qwen_omni_dir, enc.llm.tokenizer("a dog barks")["input_ids"])[2][0]
    torch.testing.assert_close(feats.hidden[0, 0], ref, rtol=1 / 128, atol=1e-3)


def test_hf_causal_lm_by_path(tiny_llama_dir, tmp_path):
    from transformers import LlamaForCausalLM

    enc = build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path))
    feats = enc.encode(["dog barks", "a cat meows loudly"], [LLAMA_LAYERS - 1, LLAMA_LAYERS])
    assert feats.hidden.shape == (2, 2, 5, LLAMA_HIDDEN)  # BOS + 4 words
    assert feats.mask.sum(1).tolist() == [3, 5]
    full = LlamaForCausalLM.from_pretrained(str(tiny_llama_dir), dtype=torch.float32).eval()
    ids = enc.llm.tokenizer("a cat meows loudly")["input_ids"]
    with torch.no_grad():
        ref = full(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
    torch.testing.assert_close(feats.hidden[1, 0], ref[LLAMA_LAYERS - 1][0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(feats.hidden[1, 1], ref[LLAMA_LAYERS][0], rtol=1e-5, atol=1e-5)
    twice = enc.encode(["dog barks"], [2, 2])  # e.g. deep+penultimate selections may repeat a layer
    assert twice.hidden.shape == (1, 2, 3, LLAMA_HIDDEN) and torch.equal(twice.hidden[0, 0], twice.hidden[0, 1])


def test_cache_hits_never_load_the_llm(tiny_llama_dir, tmp_path):
    cfg = llama_cfg(tiny_llama_dir, tmp_path)
    first = build_text_encoder(cfg)
    a = first.encode(["a dog barks", ""], [1, 2])
    assert first.load_count == 1
    second = build_text_encoder(cfg)  # new process-like encoder: empty memory LRU, same disk cache
    b = second.encode(["", "a dog barks"], [2, 1])
    assert second.load_count == 0 and second.cache.disk_reads == 4
    assert torch.equal(b.hidden[1], a.hidden[0].flip(0)) and torch.equal(b.hidden[0, :, :1], a.hidden[1, :, :1].flip(0))
    b2 = second.encode(["a dog barks"], [1])
    assert second.load_count == 0 and second.cache.disk_reads == 4  # served by the memory LRU
    second.encode(["a dog barks"], [3])  # a layer not cached yet -> one load, only that layer computed
    assert second.load_count == 1 and second.cache.disk_writes == 1
    assert torch.equal(b2.hidden[0, 0], a.hidden[0, 0])


def test_layer_entries_are_shared_between_selections(tiny_llama_dir, tmp_path):
    cfg = llama_cfg(tiny_llama_dir, tmp_path)
    enc = build_text_encoder(cfg)
    enc.encode(["a dog barks"], [1, 2, 3])
    files = sorted(p.name for p in tmp_path.rglob("*.safetensors"))
    assert len(files) == 3 and {f.split(".")[1] for f in files} == {"L001", "L002", "L003"}
    other = build_text_encoder(cfg)
    other.encode(["a dog barks"], [3, 1])
    assert other.load_count == 0


def test_model_key_changes_with_the_numerics(tiny_llama_dir, tmp_path, monkeypatch):
    """Features cached under another torch version or MKL mode are not reused: they may differ in
    the last bf16 bit, and the audio would then depend on which process filled the cache."""
    import torch

    cfg = llama_cfg(tiny_llama_dir, tmp_path)
    strict = model_key(cfg)
    assert f"torch {torch.__version__}" in strict
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    assert model_key(cfg) != strict
    monkeypatch.setattr(torch, "__version__", "0.0.1")
    monkeypatch.setenv("MKL_CBWR", "AUTO,STRICT")
    assert model_key(cfg) != strict


def test_model_key_changes_with_template_system_prompt_model_and_revision(tiny_llama_dir, tmp_path):
    cfg = llama_cfg(tiny_llama_dir, tmp_path)
    keys = {
        model_key(cfg),
        model_key(dataclasses.replace(cfg, template="chat")),
        model_key(dataclasses.replace(cfg, template="chat", system_prompt="something else")),
        model_key(dataclasses.replace(cfg, model_id="tiny/llama-2")),
        model_key(dataclasses.replace(cfg, revision="v2")),
        model_key(dataclasses.replace(cfg, dtype="bfloat16")),
    }
    assert len(keys) == 6
    assert model_key(dataclasses.replace(cfg, max_tokens=7)) == model_key(cfg)  # limits do not change features
    raw = build_text_encoder(cfg)
    chat = build_text_encoder(dataclasses.replace(cfg, template="chat", system_prompt="a man speaks"))
    assert raw.cache.path(raw.model_key, "dog", 1) != chat.cache.path(chat.model_key, "dog", 1)
    f_raw = raw.encode(["dog barks"], [2])
    f_chat = chat.encode(["dog barks"], [2])
    assert chat.load_count == 1  # the raw entry is not reused for the chat template
    # chat: <|im_start|> system a man speaks <|im_end|> <|im_start|> user dog barks <|im_end|> (no extra BOS)
    assert f_chat.mask.sum().item() == 11 and f_raw.mask.sum().item() == 3


def test_empty_prompt(tiny_qwen_omni_dir, tiny_llama_dir, tmp_path):
    qwen = build_text_encoder(qwen_cfg(tiny_qwen_omni_dir, tmp_path / "q"))  # raw, no BOS: zero tokens
    f = qwen.encode([""], [1, 2])
    assert f.hidden.shape == (1, 2, 1, QWEN_HIDDEN) and not f.mask.any() and not f.hidden.any()
    again = build_text_encoder(qwen_cfg(tiny_qwen_omni_dir, tmp_path / "q")).encode(["", "dog"], [1, 2])
    assert again.mask.tolist() == [[False], [True]]
    llama = build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path / "l"))  # BOS only: one real token
    g = llama.encode([""], [1])
    assert g.mask.tolist() == [[True]] and g.hidden.abs().sum() > 0
    chat = build_text_encoder(qwen_cfg(tiny_qwen_omni_dir, tmp_path / "c", template="chat"))
    # <|im_start|> system <9 words of the default system prompt> <|im_end|> <|im_start|> user <|im_end|>
    assert chat.encode([""], [1]).mask.sum().item() == 15


def test_too_long_prompt_names_count_limit_and_key(tiny_llama_dir, tmp_path):
    enc = build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path, max_tokens=4))
    with pytest.raises(PromptTooLongError, match=r"has 7 tokens.*llm\.max_tokens=4"):
        enc.encode(["a dog barks in the rain"], [1])  # BOS + 6 words
    assert enc.encode(["dog barks in"], [1]).mask.sum().item() == 4  # exactly at the limit
    # an entry cached under a larger limit is refused under a smaller one, without loading
    build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path, max_tokens=10)).encode(["a cat meows loudly"], [1])
    strict = build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path, max_tokens=4))
    with pytest.raises(PromptTooLongError, match="has 5 tokens"):
        strict.encode(["a cat meows loudly"], [1])
    assert strict.load_count == 0


def test_bad_requests_are_clear_errors(tiny_llama_dir, tmp_path):
    enc = build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path))
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        enc.encode(["dog"], [5])
    with pytest.raises(TypeError, match="list of prompts"):
        enc.encode("dog", [1])
    with pytest.raises(ValueError, match="llm.template"):
        build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path, template="fancy"))
    with pytest.raises(ValueError, match="llm.kind"):
        build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path, kind="nope"))
    wrong = build_text_encoder(llama_cfg(tiny_llama_dir, tmp_path, num_layers=7))
    with pytest.raises(ValueError, match="llm.num_layers=7"):
        wrong.encode(["dog"], [1])


def test_missing_weights_name_where_we_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    cfg = LLMConfig(kind="qwen2_5_omni", model_id="Qwen/Qwen2.5-Omni-7B", cache_dir=str(tmp_path / "c"))
    enc = build_text_encoder(cfg)
    with pytest.raises(MissingWeightsError) as err:
        enc.encode(["a dog barks"], [1])
    msg = str(err.value)
    assert "UNISON_WEIGHTS_QWEN2.5_OMNI_7B" in msg or "UNISON_WEIGHTS_QWEN2_5_OMNI_7B" in msg
    assert "$UNISON_WEIGHTS_DIR/qwen2.5-omni-7b" in msg and "HF cache Qwen/Qwen2.5-Omni-7B" in msg
    assert "huggingface-cli download Qwen/Qwen2.5-Omni-7B" in msg
    bad_path = LLMConfig(kind="hf_causal", model_id="x/y", path=str(tmp_path), cache_dir=str(tmp_path / "c"))
    with pytest.raises(MissingWeightsError, match="no config.json"):
        build_text_encoder(bad_path).encode(["dog"], [1])


def test_encoder_with_injected_loader_counts_loads(tiny_llama_dir, tmp_path):
    calls = []

    def loader(cfg):
        calls.append(cfg.model_id)
        return load_llm(cfg)

    cfg = llama_cfg(tiny_llama_dir, tmp_path)
    enc = TextEncoder(cfg, HiddenStateCache(tmp_path, storage_dtype="float32"), loader=loader)
    enc.encode(["dog", "dog", "cat"], [1])
    enc.encode(["dog", "cat"], [1])
    assert calls == ["tiny/llama"]
