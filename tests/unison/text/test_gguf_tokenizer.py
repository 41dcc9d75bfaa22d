"""SentencePiece-BPE tokenizer rebuilt from a tiny GGUF file written by the test (real GGUF format)."""
from __future__ import annotations

import numpy as np
import pytest

from unison.text.gguf_tokenizer import BYTE, CONTROL, NORMAL, USER_DEFINED, spm_bpe_merges, tokenizer_from_gguf

# scores = minus the merge rank, as in Gemma-3 GGUFs; "▁dog" is the worst-ranked merge, so a Unigram
# reading of the scores (best sum) would split it into "▁d" + "og", while SentencePiece BPE merges it.
PIECES = [
    ("<pad>", 0.0, CONTROL), ("<eos>", 0.0, CONTROL), ("<bos>", 0.0, CONTROL), ("<unk>", 0.0, CONTROL),
    ("<start_of_turn>", 0.0, CONTROL), ("\n\n", 0.0, USER_DEFINED), ("<0x21>", 0.0, BYTE),
    ("\u2581d", -1.0, NORMAL), ("og", -2.0, NORMAL), ("\u2581dog", -50.0, NORMAL), ("at", -3.0, NORMAL),
    ("\u2581", -100.0, NORMAL), ("d", -101.0, NORMAL), ("o", -102.0, NORMAL), ("g", -103.0, NORMAL),
    ("c", -104.0, NORMAL), ("a", -105.0, NORMAL), ("t", -106.0, NORMAL),
]


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    import gguf

    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), arch="gemma3")
    writer.add_tokenizer_model("llama")
    writer.add_token_list([p for p, _, _ in PIECES])
    writer.add_token_scores([s for _, s, _ in PIECES])
    writer.add_token_types([t for _, _, t in PIECES])
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_unk_token_id(3)
    writer.add_pad_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)
    writer.add_tensor("token_embd.weight", np.zeros((len(PIECES), 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_merges_rank_by_merged_piece_score():
    vocab = {p: i for i, (p, _, t) in enumerate(PIECES) if t == NORMAL}
    merges = spm_bpe_merges(vocab, [s for _, s, _ in PIECES])
    assert merges.index(("\u2581", "d")) < merges.index(("o", "g")) < merges.index(("\u2581d", "og"))
    assert ("\u2581", "dog") not in merges  # "dog" is not a piece


def test_spm_bpe_segmentation(tiny_gguf):
    tok = tokenizer_from_gguf(tiny_gguf)
    ids = tok("cat dog")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["<bos>", "c", "at", "\u2581dog"]
    assert tok.decode(ids, skip_special_tokens=True) == "cat dog"
    assert tok("")["input_ids"] == [2]  # add_bos_token
    specials = tok.convert_ids_to_tokens(tok("<start_of_turn>dog\n\ncat!")["input_ids"])
    assert specials == ["<bos>", "<start_of_turn>", "d", "og", "\n\n", "c", "at", "<0x21>"]  # byte fallback for "!"
    assert tok.decode(tok("dog!")["input_ids"], skip_special_tokens=True) == "dog!"


def test_rejects_tokenizers_it_does_not_model(tmp_path):
    import gguf

    path = tmp_path / "bpe.gguf"
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(["a"])
    writer.add_tensor("x", np.zeros(1, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ValueError, match="not SentencePiece-BPE"):
        tokenizer_from_gguf(path)
