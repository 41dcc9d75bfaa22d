"""UnisonPipeline logic (task routing, lengths, prefixes, errors, atomic output) with small
test-only stand-ins for the DiT, text encoder and codec; the real modules are exercised by
test_e2e_tiny.py."""
import math
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile as sf
import torch

from unison.config import UnisonConfig
from unison.core.audio import write_float_wav
from unison.pipeline import SourceAudioError, UnisonPipeline, overrides_to_dict
from unison.sampler import NonFiniteLatentError

SR, HOP, C, H = 800, 4, 3, 5


@dataclass
class _Feats:
    hidden: torch.Tensor
    mask: torch.Tensor


class _Encoder:
    max_tokens = 8

    def encode(self, prompts, layers):
        S = max(len(p.split()) for p in prompts) + 1
        if S > self.max_tokens:
            raise ValueError(f"prompt too long: {S} tokens > {self.max_tokens}")
        hidden = torch.zeros(len(prompts), len(layers), S, H)
        mask = torch.zeros(len(prompts), S, dtype=torch.bool)
        for i, p in enumerate(prompts):
            n = len(p.split()) + 1
            hidden[i, :, :n] = float(len(p)) / 10
            mask[i, :n] = True
        return _Feats(hidden, mask)


class _Codec:
    sample_rate = SR

    def latent_len(self, seconds):
        return math.ceil(seconds * SR / HOP / 2)

    def encode(self, wave):  # (B, N) -> (B, N / 2hop, C)
        return wave.reshape(wave.shape[0], -1, 2 * HOP)[..., :C]

    def decode(self, z):  # (B, T, C) -> (B, T * 2hop)
        return torch.cat([z, z, z[..., :2]], -1).reshape(z.shape[0], -1)


@dataclass
class _Cond:
    pooled: torch.Tensor


class _Model(torch.nn.Module):
    def __init__(self, nan=False):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.3))
        self.nan, self.seen_m = nan, []

    def text_layers(self):
        return [1, 2]

    def prepare_text(self, feats, mask):
        m = mask[:, None, :, None].float()
        return _Cond((feats * m).sum((1, 2)) / m.sum((1, 2)))

    def forward(self, x, t, cond):
        self.seen_m.append(x[..., -1].unique().tolist())
        v = self.w * x[..., :C] + 0.1 * x[..., C:2 * C] + cond.pooled[:, None, :C]
        return v * float("nan") if self.nan else v


def _pipe(nan=False):
    cfg = UnisonConfig()
    cfg.audio.mel.hop_length = HOP
    cfg.model.latent_channels = C
    cfg.sample.steps = 3
    return UnisonPipeline(_Model(nan), _Encoder(), _Codec(), cfg)


def test_generation_length_dtype_and_seed():
    pipe = _pipe()
    wave, sr = pipe.generate("t2a", "a dog barks", 1.0, seed=3)
    frames = math.ceil(1.0 * SR / HOP / 2)
    assert sr == SR and wave.dtype == np.float32 and wave.shape == (frames * 2 * HOP,)
    assert np.isfinite(wave).all() and np.abs(wave).max() > 0
    again, _ = pipe.generate("t2a", "a dog barks", 1.0, seed=3)
    other, _ = pipe.generate("t2a", "a dog barks", 1.0, seed=4)
    assert np.array_equal(wave, again) and not np.allclose(wave, other)
    assert pipe.model.seen_m[-1] == [0.0]


def test_batch_matches_single_items():
    pipe = _pipe()
    batch = pipe.generate_batch("tts", ["hi there", "a much longer sentence here"], 0.5, seeds=[11, 12])
    single, _ = pipe.generate("tts", "a much longer sentence here", 0.5, seed=12)
    assert np.allclose(batch[1], single, atol=1e-6)


def test_errors_are_clear(tmp_path):
    pipe = _pipe()
    with pytest.raises(ValueError, match="unknown task 'sing'.*t2a"):
        pipe.generate("sing", "x", 1.0)
    with pytest.raises(ValueError, match="seconds must be > 0"):
        pipe.generate("t2a", "x", 0)
    with pytest.raises(ValueError, match="prompt too long"):
        pipe.generate("t2a", "one two three four five six seven eight nine", 1.0)
    with pytest.raises(ValueError, match="give a source"):
        pipe.generate("edit", "remove the dog", 1.0)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....not audio")
    with pytest.raises(SourceAudioError, match="broken.wav"):
        pipe.generate("edit", "remove the dog", 1.0, source=bad)
    with pytest.raises(SourceAudioError, match="not found.*missing.wav"):
        pipe.generate("edit", "remove the dog", 1.0, source=tmp_path / "missing.wav")
    with pytest.raises(ValueError, match="takes no source"):
        pipe.generate("t2a", "x", 1.0, source=bad)


def test_edit_encodes_source_resampled_and_fitted(tmp_path):
    pipe = _pipe()
    src = tmp_path / "src.wav"
    sf.write(src, 0.1 * np.sin(np.arange(3 * SR) / 7.0).astype(np.float32), 2 * SR)  # 1.5 s at 2x rate
    wave, _ = pipe.generate("edit", "add rain", 1.0, source=src)
    assert wave.shape == (math.ceil(SR / HOP / 2) * 2 * HOP,)
    assert pipe.model.seen_m[-1] == [1.0]


def test_zero_shot_prefix_is_cut_from_output():
    pipe = _pipe()
    ref = (np.linspace(-0.5, 0.5, 100).astype(np.float32), SR)  # 100 samples -> 13 frames (padded)
    wave, _ = pipe.generate("zs_tts", "say hello", 0.5, reference=ref)
    frames = math.ceil(0.5 * SR / HOP / 2)
    assert wave.shape == (frames * 2 * HOP,)
    assert pipe.model.seen_m[-1] == [2.0]
    with pytest.raises(ValueError, match="reference speaker clip"):
        pipe.generate("zs_tts", "say hello", 0.5)


def test_non_finite_latent_leaves_no_output(tmp_path):
    pipe = _pipe(nan=True)
    out = tmp_path / "out.wav"
    with pytest.raises(NonFiniteLatentError, match="step 1/3"):
        pipe.generate_to_file(out, "t2a", "a dog", 1.0)
    assert list(tmp_path.iterdir()) == []
    path = write_float_wav(out, np.zeros(10, np.float32), SR)
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"] and sf.info(path).frames == 10


def test_overrides_to_dict():
    assert overrides_to_dict(["sample.steps=5", "llm.path=/x"]) == {"sample": {"steps": 5}, "llm": {"path": "/x"}}
    with pytest.raises(ValueError, match="key=value"):
        overrides_to_dict(["steps"])
