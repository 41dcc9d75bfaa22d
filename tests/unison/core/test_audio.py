"""The one audio reader (down-mix, resample, errors naming the file) and the byte-stable writer."""
import numpy as np
import pytest
import soundfile as sf
import soxr

from unison.core.audio import AudioReadError, audio_info, float_wav_bytes, read_mono, resample, write_float_wav


def _stereo(path, sr=16000):
    t = np.arange(sr) / sr
    stereo = np.stack([np.sin(2 * np.pi * 100 * t), np.zeros_like(t)], axis=1).astype(np.float32)
    sf.write(str(path), stereo, sr, subtype="FLOAT")
    return stereo


def test_read_mono_mixes_channels_and_resamples_with_soxr_hq(tmp_path):
    stereo = _stereo(tmp_path / "st.wav")
    native, sr = read_mono(tmp_path / "st.wav")
    assert sr == 16000 and native.dtype == np.float32
    assert np.array_equal(native, stereo.mean(axis=1))  # the mean of the channels, in float32
    w, sr = read_mono(tmp_path / "st.wav", 8000)
    assert sr == 8000 and w.dtype == np.float32 and w.shape == (8000,)
    assert np.array_equal(w, soxr.resample(stereo.mean(axis=1), 16000, 8000, quality="HQ"))
    assert np.max(np.abs(w)) == pytest.approx(0.5, abs=0.02)


def test_read_mono_reads_a_frame_range(tmp_path):
    stereo = _stereo(tmp_path / "st.wav")
    part, _ = read_mono(tmp_path / "st.wav", start=100, stop=300)
    assert np.array_equal(part, stereo[100:300].mean(axis=1))
    assert audio_info(tmp_path / "st.wav").frames == 16000


def test_unreadable_files_name_the_file(tmp_path):
    bad = tmp_path / "not-audio.wav"
    bad.write_text("hello")
    with pytest.raises(AudioReadError, match="not-audio.wav"):
        read_mono(bad)
    with pytest.raises(AudioReadError, match="missing.wav"):
        audio_info(tmp_path / "missing.wav")
    assert issubclass(AudioReadError, ValueError)


def test_resample_keeps_dtype_and_same_rate_is_identity():
    x = np.random.default_rng(0).standard_normal(1000)
    assert resample(x, 8000, 8000) is x
    assert resample(x, 8000, 16000).dtype == np.float64
    assert resample(x.astype(np.float32), 8000, 16000).dtype == np.float32


def test_float_wav_is_byte_stable(tmp_path):
    wave = np.array([0.0, 0.5, np.nan, 2.0], dtype=np.float32)
    assert float_wav_bytes(wave, 16000) == float_wav_bytes(wave.copy(), 16000)
    path = write_float_wav(tmp_path / "a" / "x.wav", wave, 16000)
    back, sr = sf.read(str(path), dtype="float32")
    assert sr == 16000 and np.array_equal(back[[0, 1, 3]], wave[[0, 1, 3]]) and np.isnan(back[2])
