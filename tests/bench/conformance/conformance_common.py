"""Real clips for the conformance tier and small helpers shared by its files."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

# 16-bit PCM WAVs of varied rates and lengths (Debian packages installed by scripts/setup.sh).
# WAV only: every side decodes 16-bit PCM to the same float32 samples (int / 32768).
CLIPS = {
    "asterisk demo-congrats (8 kHz, 30.3 s speech)": "/usr/share/asterisk/sounds/en/demo-congrats.wav",
    "asterisk agent-loggedoff (8 kHz, 1.5 s speech)": "/usr/share/asterisk/sounds/en/agent-loggedoff.wav",
    "LibriVox 0870 (16 kHz, 7.1 s speech)":
        "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "LibriVox 0930 (16 kHz, 3.3 s speech)":
        "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
    "tuxpaint chilepepper (44.1 kHz, 1.1 s)": "/usr/share/tuxpaint/stamps/food/vegetables/chilepepper_desc_pt_BR.wav",
}


def clip_paths(*names: str) -> list[Path]:
    """Paths of the named clips (all when none named); skips the test when one is missing."""
    paths = [Path(CLIPS[n]) for n in (names or CLIPS)]
    for p in paths:
        if not p.is_file():
            pytest.skip(f"{p} missing (Debian package not installed; scripts/setup.sh installs it)")
    return paths


def pkg(name: str) -> str:
    """'name version' of an installed distribution, for the table."""
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"{name} (not installed)"


def max_abs(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def rel_diff(ours, ref) -> float:
    """max |ours - ref| / max |ref|: float32 rounding shows as ~1e-7..1e-5 whatever the scale."""
    ref = np.asarray(ref, np.float64)
    return max_abs(ours, ref) / max(float(np.max(np.abs(ref))), 1e-30)


def soundfile_load(path, *args, **kwargs):
    """Stand-in for ``torchaudio.load`` (torchaudio >= 2.9 decodes through TorchCodec, which needs
    FFmpeg's libraries): (channels, samples) float32 and the rate, as torchaudio returns for a
    16-bit PCM WAV (int / 32768, no normalisation beyond that)."""
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return torch.from_numpy(np.ascontiguousarray(data.T)), sr


def write_pcm16(path: Path, wave: np.ndarray, sr: int) -> Path:
    sf.write(str(path), np.clip(wave, -1, 32767 / 32768), sr, subtype="PCM_16")
    return path


def quiet(fn, *args, **kwargs):
    """Call a reference function that prints progress, keeping the test silent."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)
