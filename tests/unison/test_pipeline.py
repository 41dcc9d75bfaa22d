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
from unison.pipeline import InputError, SourceAudioError, UnisonPipeline, overrides_to_dict
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
    with pytest.raises(ValueError, match=r"seconds \(--seconds\): must be a finite number > 0"):
        pipe.generate("t2a", "x", 0)
    with pytest.raises(ValueError, match="prompt too long"):
        pipe.generate("t2a", "one two three four five six seven eight nine", 1.0)
    with pytest.raises(ValueError, match="give one source"):
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


@pytest.mark.parametrize("task", ["target_speaker_extraction", "voice_conversion"])
def test_prefix_tasks_with_a_source_put_it_after_the_reference(task):
    pipe = _pipe()
    ref = (np.linspace(-0.5, 0.5, 100).astype(np.float32), SR)
    frames = math.ceil(0.5 * SR / HOP / 2)
    src_a = (0.2 * np.sin(np.arange(frames * 2 * HOP) / 3.0).astype(np.float32), SR)
    src_b = (0.2 * np.cos(np.arange(frames * 2 * HOP) / 5.0).astype(np.float32), SR)
    a, _ = pipe.generate(task, "extract", 0.5, source=src_a, reference=ref)
    b, _ = pipe.generate(task, "extract", 0.5, source=src_b, reference=ref)
    assert a.shape == b.shape == (frames * 2 * HOP,) and not np.allclose(a, b)  # the source conditions it
    assert pipe.model.seen_m[-1] == [2.0]
    with pytest.raises(InputError, match="give one source per text"):
        pipe.generate(task, "extract", 0.5, reference=ref)
    with pytest.raises(InputError, match="reference speaker clip"):
        pipe.generate(task, "extract", 0.5, source=src_a)


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


# ---- bad inputs: every argument and audio input is checked before any model work -------------

def _refused(pipe, match, *args, **kw):
    seen = len(pipe.model.seen_m)
    with pytest.raises(InputError, match=match):
        pipe.generate(*args, **kw)
    assert len(pipe.model.seen_m) == seen  # refused before the first model forward


@pytest.mark.bad_input
@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 0, -1.0, 1e6, "5", True])
def test_seconds_out_of_range_is_refused_naming_the_option(seconds):
    _refused(_pipe(), r"seconds \(--seconds\)", "t2a", "a dog barks", seconds)


@pytest.mark.bad_input
def test_seconds_limit_comes_from_the_config():
    pipe = _pipe()
    pipe.cfg.sample.max_seconds = 2.0
    _refused(pipe, r"--seconds.*3 s is longer than.*sample.max_seconds = 2 s", "t2a", "a dog", 3.0)
    assert pipe.generate("t2a", "a dog", 2.0)[0].shape[0] > 0


@pytest.mark.bad_input
@pytest.mark.parametrize("kw, match", [
    ({"steps": 0}, r"steps \(--steps\): must be in \[1, sample.max_steps = 1000\]"),
    ({"steps": 1001}, r"steps \(--steps\)"),
    ({"steps": 2.5}, r"steps \(--steps\): expected an integer"),
    ({"cfg_scale": float("nan")}, r"cfg_scale \(--cfg-scale\): must be a finite number >= 0"),
    ({"cfg_scale": -1.0}, r"cfg_scale \(--cfg-scale\)"),
    ({"seed": -1}, r"seed \(--seed\): must be in \[0, 2\*\*63\)"),
    ({"seed": 2 ** 63}, r"seed \(--seed\)"),
    ({"solver": "rk4"}, r"solver \(--solver\): unknown solver 'rk4'"),
])
def test_sampler_settings_out_of_range_are_refused(kw, match):
    _refused(_pipe(), match, "t2a", "a dog barks", 1.0, **kw)


@pytest.mark.bad_input
@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_is_refused(text):
    _refused(_pipe(), r"text \(--text\): empty", "t2a", text, 1.0)
    with pytest.raises(InputError, match=r"--text"):
        _pipe().generate_batch("t2a", ["a dog", text], 1.0, seeds=[0, 1])


@pytest.mark.bad_input
def test_too_short_silent_and_non_finite_audio_is_refused_naming_the_file(tmp_path):
    pipe = _pipe()
    short = tmp_path / "ten_samples.wav"
    sf.write(short, np.full(10, 0.5, np.float32), 16000)  # 10 samples at 16 kHz -> 1 at 800 Hz < 8 (one frame)
    _refused(pipe, r"source audio .*ten_samples.wav is too short.*one latent frame = 8 samples",
             "edit", "remove the dog", 1.0, source=short)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR, np.float32), SR)
    _refused(pipe, r"reference audio .*silent.wav is silent \(every sample is 0; .*sample.silent_peak_dbfs = -60",
             "zs_tts", "say hello", 0.5, reference=silent)
    quiet = (np.full(SR, 1e-4, np.float32), SR)  # -80 dBFS
    _refused(pipe, r"source audio <source array> is silent \(peak -80.0 dBFS", "edit", "add rain", 1.0,
             source=quiet)
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.full(SR, np.nan, np.float32), SR, subtype="FLOAT")
    _refused(pipe, r"source audio .*nan.wav contains NaN or inf", "edit", "add rain", 1.0, source=nan)


@pytest.mark.bad_input
def test_long_reference_is_trimmed_by_the_stated_rule_and_long_source_cropped(tmp_path, caplog):
    pipe = _pipe()
    pipe.cfg.sample.max_reference_seconds = 3.0
    ref = (0.3 * np.sin(np.arange(600 * SR) / 5.0)).astype(np.float32)  # 10 minutes
    with caplog.at_level("WARNING", logger="unison.inputs"):
        req = pipe.prepare("zs_tts", ["say hello"], 1.0, [0], reference=(ref, SR))
    assert req.reference.shape[0] == 3 * SR and req.reference_frames == 3 * SR // (2 * HOP)
    assert "reference <reference array> is 600.00 s: using its first 3.00 s" in caplog.text
    assert "sample.max_reference_seconds = 3 s" in caplog.text
    # the reference and the output share one sequence of at most sample.max_seconds
    pipe.cfg.sample.max_seconds = 4.0
    assert pipe.prepare("zs_tts", ["say hello"], 2.5, [0], reference=(ref, SR)).reference.shape[0] == 1.5 * SR
    with pytest.raises(InputError, match=r"--seconds.*4 s leaves no room for the zero-shot reference"):
        pipe.prepare("zs_tts", ["say hello"], 4.0, [0], reference=(ref, SR))
    caplog.clear()
    with caplog.at_level("WARNING", logger="unison.inputs"):
        wave, _ = pipe.generate("edit", "add rain", 1.0, source=(ref, SR))
    assert wave.shape == (SR,) and "longer than the 1.00-s output: its first 1.00 s are used" in caplog.text


@pytest.mark.bad_input
def test_long_file_is_read_only_as_far_as_it_is_used(tmp_path, monkeypatch):
    from unison.inputs import read_audio

    long = tmp_path / "ten_minutes.wav"
    sf.write(long, (0.3 * np.sin(np.arange(600 * 16000) / 5.0)).astype(np.float32), 16000, subtype="PCM_16")
    read = []
    real_read = sf.read
    monkeypatch.setattr(sf, "read", lambda *a, **kw: read.append((kw.get("start"), kw.get("stop"))) or real_read(*a, **kw))
    wave, name, full = read_audio(long, SR, "reference", 2 * SR)
    assert wave.shape == (2 * SR,) and name == str(long) and full == 600.0
    assert read == [(0, int((2 + 0.1) * 16000))]  # 2 s kept + the resampler's margin, not 600 s


def test_super_resolution_keeps_the_input_band_unless_told_not_to(tmp_path):
    from unison.audio.band_keep import _stft, cutoff_bin

    n = 10 * SR
    spec = np.fft.rfft(np.random.default_rng(0).standard_normal(n) * 0.1)
    spec[np.fft.rfftfreq(n, 1 / SR) > SR / 8] = 0  # band-limited at a quarter of Nyquist
    src = np.fft.irfft(spec, n).astype(np.float32)
    path = tmp_path / "band_limited.wav"
    sf.write(path, src, SR, subtype="FLOAT")
    pipe = _pipe()
    kept = pipe.generate_batch("super_resolution", ["restore"], 10.0, [0], sources=[path])[0]
    pipe.cfg.sample.sr_keep_input_band = False
    raw = pipe.generate_batch("super_resolution", ["restore"], 10.0, [0], sources=[path])[0]
    k = cutoff_bin(src)
    s_src, s_kept, s_raw = (np.abs(_stft(x[:n])) for x in (src, kept, raw))
    assert np.abs(s_kept[:k - 8] - s_src[:k - 8]).mean() < 0.05 * s_src[:k - 8].mean()
    assert np.abs(s_raw[:k - 8] - s_src[:k - 8]).mean() > 0.3 * s_src[:k - 8].mean()
    assert np.allclose(s_kept[k + 8:], s_raw[k + 8:], rtol=0.05, atol=1e-4 * s_raw.max())
