"""Tiny real-format checkpoints (config.json + safetensors + tokenizer.json) made offline by the tests."""
from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, pre_tokenizers, processors
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast

WORDS = "a dog barks in the rain man speaks then thunder cat meows loudly quiet room bird sings".split()
SPECIALS = ["<pad>", "<unk>", "<s>", "<|im_start|>", "<|im_end|>", "system", "user", "assistant", "\n"]
# minimal ChatML-style template (the shape of Qwen's), written for this test vocabulary
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> {% endfor %}"
)


def tiny_tokenizer(add_bos: bool) -> PreTrainedTokenizerFast:
    """Whitespace word-level tokenizer; ``add_bos`` makes "" tokenize to one token, else to none."""
    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    if add_bos:
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", vocab["<s>"])]
        )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                   bos_token="<s>" if add_bos else None,
                                   additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    fast.chat_template = CHAT_TEMPLATE
    return fast


VOCAB = len(SPECIALS) + len(WORDS)
QWEN_LAYERS, QWEN_HIDDEN = 3, 32
LLAMA_LAYERS, LLAMA_HIDDEN = 4, 24


def save_tiny_qwen_omni(out: Path) -> Path:
    """A tiny full Qwen2.5-Omni checkpoint (keys thinker.*, config with thinker_config), like the real one."""
    from transformers import Qwen2_5OmniConfig, Qwen2_5OmniForConditionalGeneration

    torch.manual_seed(0)
    thinker = {
        "text_config": dict(vocab_size=VOCAB, hidden_size=QWEN_HIDDEN, intermediate_size=64,
                            num_hidden_layers=QWEN_LAYERS, num_attention_heads=4, num_key_value_heads=2,
                            max_position_embeddings=128,
                            rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"}),  # real format; sums to head_dim/2
        "audio_config": dict(num_mel_bins=8, encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=16,
                             d_model=8, output_dim=QWEN_HIDDEN, max_source_positions=16, n_window=4),
        "vision_config": dict(depth=1, hidden_size=8, intermediate_size=16, num_heads=2,
                              out_hidden_size=QWEN_HIDDEN, fullatt_block_indexes=[0]),
    }
    config = Qwen2_5OmniConfig(thinker_config=thinker, enable_audio_output=False)
    model = Qwen2_5OmniForConditionalGeneration(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    tiny_tokenizer(add_bos=False).save_pretrained(out)
    return out


def save_tiny_llama(out: Path) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=VOCAB, hidden_size=LLAMA_HIDDEN, intermediate_size=48,
                         num_hidden_layers=LLAMA_LAYERS, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=128)
    LlamaForCausalLM(config).eval().save_pretrained(out, safe_serialization=True)
    tiny_tokenizer(add_bos=True).save_pretrained(out)
    return out
