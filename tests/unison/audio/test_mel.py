import librosa
import numpy as np
import pytest
import torch

from unison.audio.mel import MEL_PRESETS, MelSpectrogram
from unison.config import MelConfig


def _reference_mel(wave: np.ndarray, cfg: MelConfig) -> np.ndarray:
    """The documented procedure written with numpy + librosa only."""
    pad = (cfg.n_fft - cfg.hop_length) // 2
    x = np.pad(np.clip(wave, -1, 1), (pad, pad), mode="reflect")
    spec = librosa.stft(x, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                        window="hann", center=False)
    mag = np.sqrt(spec.real**2 + spec.imag**2 + 1e-9)
    mel = librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels,
                              fmin=cfg.f_min, fmax=cfg.f_max) @ mag
    log = np.log10 if cfg.log == "log10" else np.log
    return log(np.maximum(mel, cfg.clamp))


@pytest.mark.parametrize("preset", sorted(MEL_PRESETS))
def test_matches_reference_procedure(preset):
    cfg = MEL_PRESETS[preset]
    rng = np.random.default_rng(0)
    n = cfg.hop_length * 40
    wave = (0.3 * rng.standard_normal(n)).astype(np.float32)
    wave[:n // 4] *= 0.0  # silence exercises the clamp
    ours = MelSpectrogram(cfg)(torch.from_numpy(wave)[None])[0].numpy()
    ref = _reference_mel(wave, cfg)
    assert ours.shape == (cfg.n_mels, 40) == ref.shape
    np.testing.assert_allclose(ours, ref, atol=2e-3)


def test_preset_facts():
    m16, m44 = MEL_PRESETS["mmaudio-16k"], MEL_PRESETS["mmaudio-44k"]
    assert (m16.n_mels, m16.n_fft, m16.hop_length, m16.f_max, m16.log) == (80, 1024, 256, 8000, "log10")
    assert (m44.n_mels, m44.n_fft, m44.hop_length, m44.f_max, m44.log) == (128, 2048, 512, 22050, "ln")
    assert MelConfig() == m16  # the config default is MMAudio's 16 kHz front end


def test_log_base_and_clamp():
    cfg = MEL_PRESETS["mmaudio-16k"]
    wave = torch.sin(2 * torch.pi * 1000 * torch.arange(16000) / 16000)[None]
    a = MelSpectrogram(cfg)(wave)
    b = MelSpectrogram(MelConfig(log="ln"))(wave)
    assert torch.allclose(b, a * np.log(10.0), atol=1e-4)
    silent = MelSpectrogram(cfg)(torch.zeros(1, 4096))
    assert torch.all(silent == np.log10(1e-5))
    # samples outside [-1, 1] are clamped first
    assert torch.allclose(MelSpectrogram(cfg)(wave * 5), MelSpectrogram(cfg)((wave * 5).clamp(-1, 1)))


def test_sine_peaks_at_its_mel_bin():
    cfg = MEL_PRESETS["mmaudio-16k"]
    wave = 0.5 * torch.sin(2 * torch.pi * 1000 * torch.arange(16000) / 16000)[None]
    mel = MelSpectrogram(cfg)(wave)[0].mean(-1)
    centers = librosa.mel_frequencies(cfg.n_mels + 2, fmin=0, fmax=8000)[1:-1]
    assert abs(centers[int(mel.argmax())] - 1000) < 60


@pytest.mark.parametrize("bad,match", [
    (dict(log="log2"), "MelConfig.log"),
    (dict(f_max=9000.0), "f_max"),
    (dict(win_length=2048), "win_length"),
    (dict(hop_length=255), "even"),
])
def test_bad_config_is_named(bad, match):
    with pytest.raises(ValueError, match=match):
        MelSpectrogram(MelConfig(**bad))


def test_bad_input_shape():
    with pytest.raises(ValueError, match=r"\(batch, samples\)"):
        MelSpectrogram(MelConfig())(torch.zeros(1, 1, 4096))
