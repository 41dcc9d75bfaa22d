"""The extractors whose runtimes take a thread count (CTranslate2, ONNX Runtime) give the same output
with 1 and 2 threads: `unison-bench default --jobs` runs its workers with fewer threads than a
single run, and a number must not depend on which of them computed it."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bench.extractors.dnsmos import DNSMOSExtractor
from bench.extractors.faster_whisper_base import FasterWhisperBaseInt8
from unison.core.audio import read_mono

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CLIPS = [LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav",
         LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"]


@pytest.fixture(scope="module")
def waves():
    missing = [str(p) for p in CLIPS if not p.is_file()]
    if missing:
        pytest.skip(f"real speech missing: {missing}")
    return [read_mono(p, 16000)[0] for p in CLIPS]


def _with_threads(n: int, make, waves, sides):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        ext = make()
        if ext.available() is not None:
            pytest.skip(ext.available())
        return ext.extract(waves, sides)
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("make,sides", [(DNSMOSExtractor, [None, None]), (FasterWhisperBaseInt8, ["en", "en"])],
                         ids=["dnsmos", "faster-whisper-base-int8"])
def test_one_and_two_threads_agree(make, sides, waves):
    one = _with_threads(1, make, waves, sides)
    two = _with_threads(2, make, waves, sides)
    assert one == two
    assert all(v for v in one)  # something was computed
