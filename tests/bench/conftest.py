"""Real recorded / synthesised clips available offline on this machine (Debian packages) for the
offline-evaluator tests, as the ``clips`` fixture. Each helper skips the calling test when its
source is absent."""
from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import librosa
import numpy as np
import pytest

TUXPAINT = Path("/usr/share/tuxpaint/stamps")
ASTERISK = Path("/usr/share/asterisk/sounds/en")
ASTERISK_TEXT = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")


def load(path: Path, sr: int) -> np.ndarray:
    if not path.is_file():
        pytest.skip(f"{path} missing (Debian package not installed)")
    return librosa.load(str(path), sr=sr, mono=True)[0].astype(np.float32)


def tuxpaint(rel: str, sr: int) -> np.ndarray:
    return load(TUXPAINT / rel, sr)


def asterisk_transcripts() -> dict[str, str]:
    """prompt name -> transcript, from the asterisk-core-sounds-en text file ("name: text")."""
    if not ASTERISK_TEXT.is_file():
        pytest.skip(f"{ASTERISK_TEXT} missing (Debian asterisk-core-sounds-en)")
    out = {}
    for line in gzip.open(ASTERISK_TEXT, "rt", encoding="utf-8", errors="replace"):
        if ":" in line and not line.startswith(";"):
            name, text = line.split(":", 1)
            out[name.strip()] = text.strip()
    return out


def synth(tool: list[str], text: str, out: Path, sr: int) -> np.ndarray:
    """Run a command-line TTS that writes a WAV to ``out`` and load the result."""
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} not installed")
    subprocess.run(tool, check=True,
                   capture_output=True, timeout=60)
    return load(out, sr)


def flite(voice: str, text: str, tmp: Path, sr: int) -> np.ndarray:
    out = tmp / f"flite_{voice}.wav"
    return synth(["flite", "-voice", voice, "-t", text, "-o", str(out)], text, out, sr)


def espeak(text: str, tmp: Path, sr: int, voice: str = "en") -> np.ndarray:
    out = tmp / f"espeak_{voice}.wav"
    return synth(["espeak-ng", "-v", voice, "-w", str(out), text], text, out, sr)


class _Clips:
    """Namespace handed to tests: clips.tuxpaint(rel, sr), clips.flite(voice, text, sr)..."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.load = load
        self.tuxpaint = tuxpaint
        self.asterisk_transcripts = asterisk_transcripts
        self.asterisk = lambda name, sr: load(ASTERISK / f"{name}.wav", sr)

    def flite(self, voice: str, text: str, sr: int) -> np.ndarray:
        return flite(voice, text, self.tmp, sr)

    def espeak(self, text: str, sr: int, voice: str = "en") -> np.ndarray:
        return espeak(text, self.tmp, sr, voice)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> _Clips:
    return _Clips(tmp_path_factory.mktemp("clips"))
