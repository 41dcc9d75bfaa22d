"""Resampling: bench feeds every extractor soxr-HQ-resampled audio (unison.core.audio.read_mono); the
reference pipelines resample with their own functions, called here from their packages on real
clips. The difference is given as its energy relative to the signal (dB), model-independent: the
extractor files show what it does to each model's output."""
import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import torch

from unison.core.audio import read_mono
from conformance_common import clip_paths, pkg

pytestmark = [pytest.mark.conformance, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
resampy = pytest.importorskip("resampy")
torchaudio = pytest.importorskip("torchaudio")
librosa = pytest.importorskip("librosa")

RESAMPLED = ("asterisk demo-congrats (8 kHz, 30.3 s speech)", "asterisk agent-loggedoff (8 kHz, 1.5 s speech)",
             "tuxpaint chilepepper (44.1 kHz, 1.1 s)")


def diff_db(ours: np.ndarray, theirs: np.ndarray) -> float:
    """10 log10(|ours - theirs|² / |theirs|²) over the common length (lengths may differ by a sample)."""
    n = min(len(ours), len(theirs))
    assert abs(len(ours) - len(theirs)) <= 1, (len(ours), len(theirs))
    err = np.sum((np.float64(ours[:n]) - theirs[:n]) ** 2)
    return float("-inf") if err == 0 else float(10 * np.log10(err / np.sum(np.float64(theirs[:n]) ** 2)))


REFERENCES = {
    "torchaudio.functional.resample (audioldm_eval WaveDataset, funasr, seed-tts-eval SIM)":
        (pkg("torchaudio"), lambda x, sr: torchaudio.functional.resample(torch.from_numpy(x)[None], sr, 16000)[0].numpy(),
         -25.0),
    "resampy.resample (torchvggish, audioldm_eval 0.0.3 FAD)":
        (pkg("resampy"), lambda x, sr: resampy.resample(x.astype(np.float64), sr, 16000), -25.0),
    "scipy.signal.resample (seed-tts-eval WER)":
        (pkg("scipy"), lambda x, sr: scipy.signal.resample(x.astype(np.float64), int(len(x) * 16000 / sr)), -15.0),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_resampler_to_16k(name, record):
    version, fn, bound = REFERENCES[name]
    worst = -np.inf
    for path in clip_paths(*RESAMPLED):
        x, sr = sf.read(str(path), dtype="float32")
        worst = max(worst, diff_db(read_mono(path, 16000)[0], fn(x, sr)))
    record("resampling to 16 kHz (dB re signal)", version, f"soxr HQ vs {name}, 8 / 44.1 kHz clips", worst,
           tolerance=bound)


def test_librosa_load_48k_is_ours(record):
    """laion-clap's get_audio_embedding_from_filelist reads with librosa.load(sr=48000): soxr HQ too."""
    worst = -np.inf
    for path in clip_paths():
        worst = max(worst, diff_db(read_mono(path, 48000)[0], librosa.load(str(path), sr=48000)[0]))
    record("resampling to 48 kHz (dB re signal)", pkg("librosa"),
           "soxr HQ vs librosa.load(sr=48000) (laion-clap's file reader), all clips", worst,
           tolerance=-120.0)
