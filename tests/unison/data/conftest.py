import numpy as np
import pytest
import soundfile as sf


def write_tone(path, seconds=1.0, sr=16000, amp=0.3, freq=440.0):
    """A short real WAV file (sine tone; amp=0 gives a silent one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(str(path), (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr, subtype="PCM_16")
    return path


@pytest.fixture
def tone():
    return write_tone
