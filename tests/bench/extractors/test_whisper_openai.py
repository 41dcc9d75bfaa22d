"""openai-whisper backend: tiny model saved in openai-whisper's checkpoint format, loaded by
whisper.load_model through our resolver; published checksum pinned from the package."""
import numpy as np
import pytest
import torch

from bench.extractors.whisper_openai import WhisperOpenAIExtractor, published_sha256

# large-v3's shape family (128 mels, 1500 audio positions, 51866-token multilingual vocab), tiny widths.
TINY_DIMS = dict(n_mels=128, n_audio_ctx=1500, n_audio_state=16, n_audio_head=2, n_audio_layer=1,
                 n_vocab=51866, n_text_ctx=32, n_text_state=16, n_text_head=2, n_text_layer=1)


def save_tiny_checkpoint(path):
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(0)
    model = Whisper(ModelDimensions(**TINY_DIMS))
    torch.save({"dims": TINY_DIMS, "model_state_dict": model.state_dict()}, path)
    return model


def test_published_checksum_is_pinned():
    assert len(published_sha256()) == 64


def test_tiny_checkpoint_loads_and_transcribes(tmp_path, monkeypatch):
    path = tmp_path / "large-v3.pt"
    src = save_tiny_checkpoint(path)
    monkeypatch.setenv("UNISON_WHISPER_OPENAI_LARGE_V3", str(path))
    # The tiny file is not the published one: the checksum check must say so.
    assert "sha256" in WhisperOpenAIExtractor().available()
    ext = WhisperOpenAIExtractor(verify_checksum=False)
    assert ext.available() is None
    sig = ext.signature()
    assert sig["checksum_verified"] is False and sig["decoding"]["temperature"] == 0.0
    assert torch.equal(ext.model.decoder.token_embedding.weight, src.decoder.token_embedding.weight)
    assert ext.model.is_multilingual and ext.model.num_languages == 100
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(16000).astype(np.float32) * 0.1, rng.standard_normal(8000).astype(np.float32) * 0.1]
    out = ext.extract(waves, ["en", "zh"])
    assert [type(o["text"]) for o in out] == [str, str]
    assert ext.extract(waves[:1], ["en"])[0]["text"] == out[0]["text"]  # greedy: deterministic
    with pytest.raises(ValueError, match="forced decoding"):
        ext.extract(waves[:1], ["fr"])


def test_missing_weights(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_WHISPER_OPENAI_LARGE_V3", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = WhisperOpenAIExtractor().available()
    assert reason.startswith("unavailable:") and "large-v3.pt" in reason and "load_model" in reason
