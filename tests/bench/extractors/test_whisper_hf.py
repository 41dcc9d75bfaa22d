"""whisper-large-v3 (transformers) adapter: tiny model saved in the HF repo layout, loaded offline."""
import numpy as np
import pytest

from bench.extractors.whisper_hf import WhisperHFExtractor
from bench.item import Item
from whisper_tiny import save_tiny_whisper_hf


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny_whisper_hf(tmp_path_factory.mktemp("whisper") / "whisper-large-v3")


def test_tiny_model_forced_language_greedy(tiny_dir, monkeypatch):
    monkeypatch.setenv("UNISON_WHISPER_LARGE_V3", str(tiny_dir))
    ext = WhisperHFExtractor(max_new_tokens=4)
    assert ext.available() is None
    sig = ext.signature()
    assert len(sig["weights_sha256"]) == 64 and sig["decoding"]["num_beams"] == 1
    assert ext.side_input(Item(id="a", task="tts", instruction="x", seconds=1.0, seed=0, lang="zh"), "gen") == "zh"
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(16000).astype(np.float32) * 0.1 for _ in range(3)]
    tok = ext.processor.tokenizer
    seen = []
    real_forward = ext.model.forward

    def spy(*args, **kwargs):  # records the decoder prompt of the first decoding step
        seen.append(kwargs["decoder_input_ids"][0].tolist())
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(ext.model, "forward", spy)
    for lang in ("en", "zh"):
        seen.clear()
        ext.generate_ids(waves[:2], lang)
        prompt = tok.convert_ids_to_tokens(seen[0])
        assert prompt == ["<|startoftranscript|>", f"<|{lang}|>", "<|transcribe|>", "<|notimestamps|>"]
    monkeypatch.setattr(ext.model, "forward", real_forward)
    out = ext.extract(waves, ["en", "zh", "en"])
    assert len(out) == 3 and all(isinstance(o["text"], str) for o in out)
    # Greedy is deterministic and batching by language does not reorder results.
    assert ext.extract([waves[1]], ["zh"])[0]["text"] == out[1]["text"]


def test_language_is_required(tiny_dir, monkeypatch):
    monkeypatch.setenv("UNISON_WHISPER_LARGE_V3", str(tiny_dir))
    with pytest.raises(ValueError, match="forced decoding"):
        WhisperHFExtractor().extract([np.zeros(16000, np.float32)], [None])


def test_missing_weights(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_WHISPER_LARGE_V3", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    reason = WhisperHFExtractor().available()
    assert reason.startswith("unavailable:") and "model.safetensors" in reason and "openai/whisper-large-v3" in reason
