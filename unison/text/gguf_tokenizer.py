"""Build a Hugging Face fast tokenizer from the SentencePiece-BPE vocabulary stored in a GGUF file.

Why not ``AutoTokenizer.from_pretrained(..., gguf_file=...)``: for Gemma-3 GGUFs (tokenizer
model "llama", scores = minus the merge rank, no merges stored) transformers 4.57 builds a
Unigram model over those scores, which splits common words ("▁dog" -> "▁d", "og"). SentencePiece
BPE instead merges the adjacent pair whose merged piece has the highest score; a BPE model whose
merges are ranked by the merged piece's score reproduces that. Control tokens become special
tokens, user-defined pieces (newline runs, ...) become added tokens matched on raw text, and the
<0xNN> pieces serve byte fallback.
"""
from __future__ import annotations

import logging
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
from tokenizers.models import BPE
from transformers import PreTrainedTokenizerFast

log = logging.getLogger(__name__)

# llama.cpp token types (gguf.TokenType)
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def _field_strings(reader, name: str) -> list[str]:
    field = reader.fields[name]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def _field_numbers(reader, name: str) -> list[float]:
    field = reader.fields[name]
    return [field.parts[i][0].item() for i in field.data]


def _field_scalar(reader, name: str, default=None):
    field = reader.fields.get(name)
    return default if field is None else field.parts[field.data[0]][0].item()


def spm_bpe_merges(vocab: dict[str, int], scores: list[float]) -> list[tuple[str, str]]:
    """Every (left, right) split of every piece into two pieces, best merged-piece score first."""
    ranked: list[tuple[float, float, float, str, str]] = []
    for piece, idx in vocab.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                ranked.append((-scores[idx], -scores[vocab[left]], -scores[vocab[right]], left, right))
    ranked.sort()
    return [(left, right) for *_, left, right in ranked]


def tokenizer_from_gguf(gguf_path: str | Path) -> PreTrainedTokenizerFast:
    """A PreTrainedTokenizerFast equivalent to the GGUF's SentencePiece-BPE tokenizer."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    model = reader.fields.get("tokenizer.ggml.model")
    kind = bytes(model.parts[model.data[0]]).decode() if model is not None else None
    if kind != "llama" or "tokenizer.ggml.merges" in reader.fields:
        raise ValueError(
            f"{gguf_path}: tokenizer model {kind!r} is not SentencePiece-BPE without merges; "
            "load its tokenizer with AutoTokenizer(gguf_file=...) instead"
        )
    tokens = _field_strings(reader, "tokenizer.ggml.tokens")
    scores = _field_numbers(reader, "tokenizer.ggml.scores")
    types = [int(t) for t in _field_numbers(reader, "tokenizer.ggml.token_type")]
    bos_id = _field_scalar(reader, "tokenizer.ggml.bos_token_id")
    eos_id = _field_scalar(reader, "tokenizer.ggml.eos_token_id")
    unk_id = _field_scalar(reader, "tokenizer.ggml.unknown_token_id")
    pad_id = _field_scalar(reader, "tokenizer.ggml.padding_token_id")
    add_bos = bool(_field_scalar(reader, "tokenizer.ggml.add_bos_token", True))
    add_eos = bool(_field_scalar(reader, "tokenizer.ggml.add_eos_token", False))
    if _field_scalar(reader, "tokenizer.ggml.add_space_prefix", False):
        raise ValueError(f"{gguf_path}: add_space_prefix=True tokenizers are not supported here")

    vocab = {tok: i for i, tok in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise ValueError(f"{gguf_path}: duplicate token strings in the vocabulary")
    mergeable = {t: i for t, i in vocab.items() if types[i] == NORMAL}
    merges = spm_bpe_merges(mergeable, scores)
    tok = Tokenizer(BPE(vocab=vocab, merges=merges, unk_token=tokens[unk_id] if unk_id is not None else None,
                        byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, i in vocab.items() if types[i] == CONTROL])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t, i in vocab.items() if types[i] == USER_DEFINED])

    bos, eos = tokens[bos_id], tokens[eos_id]
    single = ([f"{bos}:0"] if add_bos else []) + ["$A:0"] + ([f"{eos}:0"] if add_eos else [])
    pair = single + ["$B:1"] + ([f"{eos}:1"] if add_eos else [])
    specials = [(t, vocab[t]) for t in {bos, eos}]
    tok.post_processor = processors.TemplateProcessing(single=single, pair=pair, special_tokens=specials)
    log.info("built SentencePiece-BPE tokenizer from %s: %d pieces, %d merges", gguf_path, len(tokens), len(merges))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        unk_token=tokens[unk_id] if unk_id is not None else None,
        pad_token=tokens[pad_id] if pad_id is not None else None,
        add_bos_token=add_bos,
        add_eos_token=add_eos,
    )
