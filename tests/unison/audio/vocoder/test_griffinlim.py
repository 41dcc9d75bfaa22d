import numpy as np
import pytest
import torch

from unison.audio.mel import MEL_PRESETS, MelSpectrogram
from unison.audio.vocoder import build_vocoder
from unison.config import VocoderConfig


def test_griffinlim_reconstructs_a_tone():
    mel_cfg = MEL_PRESETS["mmaudio-16k"]
    t = np.arange(256 * 40) / 16000
    wave = torch.from_numpy((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))[None]
    voc = build_vocoder(VocoderConfig(kind="griffinlim", weights=None, griffinlim_iters=16), mel_cfg)
    out = voc(MelSpectrogram(mel_cfg)(wave))
    assert out.shape == wave.shape
    spectrum = np.abs(np.fft.rfft(out[0].numpy()))
    peak_hz = np.argmax(spectrum) * 16000 / out.shape[-1]
    assert abs(peak_hz - 440) < 20 and out.abs().max() > 0.1  # within one low-frequency mel band


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown vocoder.kind"):
        build_vocoder(VocoderConfig(kind="wavenet"), MEL_PRESETS["mmaudio-16k"])
