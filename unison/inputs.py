"""What generation accepts. Every number and every audio input is checked against a stated rule
before any model work; a broken rule is an InputError (a ValueError) naming the argument (with its
command-line option) or the file, the rule and the fix.

    seconds     finite, > 0 and <= sample.max_seconds
    steps       an integer in [1, sample.max_steps]
    cfg_scale   finite and >= 0 (0 = unconditional, 1 = conditional only)
    seed        an integer in [0, 2**63)
    text        not empty or whitespace only
    audio       a file libsndfile reads (at most 384 kHz) or a (wave, sample rate) pair; the part used
                must hold at least one latent frame (2 * hop samples at the model's rate), only
                finite samples, and a peak at or above sample.silent_peak_dbfs
    source      (editing) a source longer than the output is cropped to the output length (a
                warning says so), a shorter one is zero-padded at the end
    reference   (zero-shot TTS) a prompt longer than min(sample.max_reference_seconds,
                sample.max_seconds - seconds) is trimmed to that (a warning names the file and the
                rule): the prompt and the output share one sequence of at most sample.max_seconds

The limits are config values (unison.config.SampleConfig) recorded in every checkpoint. Only the
part of a file that can be used is read, so a long file costs no more than a short one.
"""
from __future__ import annotations

import logging
import math
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from unison.audio.sequence import latent_length
from unison.config import SOLVERS, SampleConfig
from unison.core.audio import AudioReadError, audio_info, read_mono, resample
from unison.core.signal import fit_length
from unison.tasks import EDITING, ZERO_SHOT, TaskSpec, get_task

log = logging.getLogger(__name__)

AudioInput = str | os.PathLike | tuple[np.ndarray, int]  # a file, or (mono wave, sample rate)
MAX_SEED = 2 ** 63  # exclusive; unison.core.seeds.item_seed draws from [0, 2**63)
MAX_FILE_RATE = 384_000  # Hz; no audio format in use goes higher, and it bounds what a read can cost
READ_MARGIN_SECONDS = 0.1  # read a little past what is kept: the resampler's edge stays outside the kept part
OPTIONS = {"seconds": "--seconds", "steps": "--steps", "cfg_scale": "--cfg-scale", "seed": "--seed",
           "text": "--text", "solver": "--solver", "source": "--source", "reference": "--reference"}


class InputError(ValueError):
    """A generation argument or input breaks a stated rule; the message names it and the fix."""


class SourceAudioError(InputError):
    """A source/reference audio input cannot be read or used; the message names the file."""


def limits(sample: SampleConfig) -> dict[str, float | int]:
    """The config values these rules read (what a results file records beside the outputs)."""
    return {"max_seconds": sample.max_seconds, "max_steps": sample.max_steps,
            "max_reference_seconds": sample.max_reference_seconds, "silent_peak_dbfs": sample.silent_peak_dbfs}


def _arg(name: str) -> str:
    return f"{name} ({OPTIONS[name]})"


def _number(value: object, name: str) -> float:
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{_arg(name)}: expected a number, got {value!r}")
    return float(value)


def check_seconds(seconds: object, sample: SampleConfig) -> float:
    value = _number(seconds, "seconds")
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{_arg('seconds')}: must be a finite number > 0, got {seconds!r}")
    if value > sample.max_seconds:
        raise InputError(f"{_arg('seconds')}: {value:g} s is longer than this model's maximum, sample.max_seconds = "
                         f"{sample.max_seconds:g} s (the longest sequence it was trained on); ask for at most that, "
                         "or generate several clips")
    return value


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"{_arg(name)}: expected an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(f"{_arg(name)}: expected an integer, got {value!r}") from None


def check_steps(steps: object, sample: SampleConfig) -> int:
    n = _integer(steps, "steps")
    if not 1 <= n <= sample.max_steps:
        raise InputError(f"{_arg('steps')}: must be in [1, sample.max_steps = {sample.max_steps}] (each step is a "
                         f"full model forward), got {n}")
    return n


def check_cfg_scale(cfg_scale: object) -> float:
    w = _number(cfg_scale, "cfg_scale")
    if not math.isfinite(w) or w < 0:
        raise InputError(f"{_arg('cfg_scale')}: must be a finite number >= 0 (0 = unconditional, 1 = conditional "
                         f"only, the paper uses 4.5), got {cfg_scale!r}")
    return w


def check_seed(seed: object) -> int:
    s = _integer(seed, "seed")
    if not 0 <= s < MAX_SEED:
        raise InputError(f"{_arg('seed')}: must be in [0, 2**63), got {s}")
    return s


def check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InputError(f"{_arg('text')}: expected a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError(f"{_arg('text')}: empty; give the instruction, caption or transcript to generate from")
    return text


def check_solver(solver: object) -> str:
    if solver not in SOLVERS:
        raise InputError(f"{_arg('solver')}: unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    return str(solver)


def _decode(src: AudioInput, what: str, max_seconds: float) -> tuple[np.ndarray, int, str, float]:
    """(mono float32 wave holding the first ``max_seconds`` + a margin, its rate, a name, full seconds)."""
    if isinstance(src, tuple):
        wave, sr = np.asarray(src[0], dtype=np.float32), int(src[1])
        name = f"<{what} array>"
        if wave.ndim != 1:
            wave = wave.reshape(-1) if wave.size == max(wave.shape) else wave.mean(axis=-1)
        if not 0 < sr <= MAX_FILE_RATE:
            raise SourceAudioError(f"{what} audio {name}: sample rate {sr} Hz is outside 1 Hz .. {MAX_FILE_RATE} Hz")
        full = wave.shape[0] / sr
        return wave[:math.ceil((max_seconds + READ_MARGIN_SECONDS) * sr)], sr, name, full
    name = str(src)
    if not Path(src).is_file():
        raise SourceAudioError(f"{what} audio file not found: {name} ({OPTIONS[what]})")
    try:
        info = audio_info(name)
        if not 0 < info.samplerate <= MAX_FILE_RATE:
            raise SourceAudioError(f"{what} audio {name}: sample rate {info.samplerate} Hz is outside "
                                   f"1 Hz .. {MAX_FILE_RATE} Hz")
        wave, sr = read_mono(name, stop=math.ceil((max_seconds + READ_MARGIN_SECONDS) * info.samplerate))
    except AudioReadError as e:
        raise SourceAudioError(f"cannot decode {what} audio file {name}: {e.__cause__}. "
                               "Give a WAV/FLAC/OGG file readable by libsndfile.") from e
    return wave, sr, name, info.frames / info.samplerate


def read_audio(src: AudioInput, sample_rate: int, what: str, max_samples: int) -> tuple[np.ndarray, str, float]:
    """(mono float32 wave at ``sample_rate`` of at most ``max_samples``, the input's name, the input's
    full length in seconds). Only what can be kept is read; NaN/inf samples are refused."""
    wave, sr, name, full = _decode(src, what, max_samples / sample_rate)
    if wave.size == 0:
        raise SourceAudioError(f"{what} audio {name} is empty")
    if not np.isfinite(wave).all():
        raise SourceAudioError(f"{what} audio {name} contains NaN or inf samples; give a clip of finite samples")
    return resample(wave, sr, sample_rate)[:max_samples], name, full


def check_audible(wave: np.ndarray, name: str, what: str, min_samples: int, sample_rate: int,
                  sample: SampleConfig) -> None:
    """The used part of an input holds at least one latent frame and is not silent."""
    if wave.shape[0] < min_samples:
        raise SourceAudioError(
            f"{what} audio {name} is too short: {wave.shape[0]} samples at the model's {sample_rate} Hz "
            f"({1000 * wave.shape[0] / sample_rate:.1f} ms); the model needs at least one latent frame = "
            f"{min_samples} samples ({1000 * min_samples / sample_rate:.1f} ms)")
    peak = float(np.abs(wave).max())
    if peak < 10 ** (sample.silent_peak_dbfs / 20):
        level = f"peak {20 * math.log10(peak):.1f} dBFS" if peak > 0 else "every sample is 0"
        raise SourceAudioError(
            f"{what} audio {name} is silent ({level}; the rule: a peak of at least sample.silent_peak_dbfs = "
            f"{sample.silent_peak_dbfs:g} dBFS); give a clip with audible content")


@dataclass(frozen=True)
class Request:
    """A checked generation request: everything the pipeline needs, nothing left to validate."""

    task: TaskSpec
    texts: tuple[str, ...]
    seeds: tuple[int, ...]
    seconds: float
    frames: int  # output latent frames
    steps: int
    cfg_scale: float
    solver: str
    cfg_formula: str
    sample_rate: int
    hop: int
    sources: tuple[np.ndarray, ...] | None = None  # editing: one wave per text, exactly frames * 2 * hop samples
    reference: np.ndarray | None = None  # zero-shot TTS: the prompt, zero-padded to whole latent frames

    @property
    def reference_frames(self) -> int:
        return 0 if self.reference is None else self.reference.shape[0] // (2 * self.hop)

    @property
    def forwards(self) -> int:
        """Model forwards the sampling will run (each one item: its cond/uncond pair, or the cond branch
        alone at a guidance scale of 1)."""
        return len(self.texts) * self.steps * (1 if self.solver == "euler" else 2)


def _source(src: AudioInput, samples: int, sample_rate: int, spf: int, sample: SampleConfig) -> np.ndarray:
    out_seconds = samples / sample_rate
    wave, name, full = read_audio(src, sample_rate, "source", samples)
    check_audible(wave, name, "source", spf, sample_rate, sample)
    if full > out_seconds + 1 / sample_rate:
        log.warning("source %s is %.2f s, longer than the %.2f-s output: its first %.2f s are used (a source longer "
                    "than the output is cropped to the output length)", name, full, out_seconds, out_seconds)
    elif wave.shape[0] < samples:
        log.info("source %s is %.2f s: zero-padded at the end to the %.2f-s output", name, full, out_seconds)
    return fit_length(wave, samples)


def _reference(src: AudioInput, seconds: float, sample_rate: int, spf: int, sample: SampleConfig) -> np.ndarray:
    allowed = min(sample.max_reference_seconds, sample.max_seconds - seconds)
    keep = math.floor(allowed * sample_rate / spf) * spf  # whole latent frames
    if keep < spf:
        raise InputError(
            f"{_arg('seconds')}: {seconds:g} s leaves no room for the zero-shot reference: the reference and the output "
            f"share one sequence of at most sample.max_seconds = {sample.max_seconds:g} s; ask for at most "
            f"{sample.max_seconds - spf / sample_rate:.2f} s (less leaves a longer reference)")
    wave, name, full = read_audio(src, sample_rate, "reference", keep)
    check_audible(wave, name, "reference", spf, sample_rate, sample)
    if full * sample_rate > keep:
        log.warning("reference %s is %.2f s: using its first %.2f s (rule: a zero-shot prompt is at most "
                    "sample.max_reference_seconds = %g s, and prompt + output at most sample.max_seconds = %g s)",
                    name, full, keep / sample_rate, sample.max_reference_seconds, sample.max_seconds)
    return fit_length(wave, -(-wave.shape[0] // spf) * spf)


def prepare(sample: SampleConfig, sample_rate: int, hop: int, task: str, texts: Sequence[str], seconds: object,
            seeds: Sequence[object], *, sources: Sequence[AudioInput] | None = None,
            reference: AudioInput | None = None, steps: object = None, cfg_scale: object = None,
            solver: object = None) -> Request:
    """Check a request against the rules above (``sample``: the model's sample config; ``sample_rate``
    and ``hop``: its codec's) and read its audio. ``None`` sampler settings take the config's."""
    spec = get_task(task)
    texts = tuple(check_text(t) for t in texts)
    if len(seeds) != len(texts):
        raise InputError(f"{len(texts)} texts but {len(seeds)} seeds")
    secs = check_seconds(seconds, sample)
    n_steps = check_steps(sample.steps if steps is None else steps, sample)
    w = check_cfg_scale(sample.cfg_scale if cfg_scale is None else cfg_scale)
    method = check_solver(sample.solver if solver is None else solver)
    seeds = tuple(check_seed(s) for s in seeds)
    frames, spf = latent_length(secs, sample_rate, hop), 2 * hop
    waves, ref = None, None
    if spec.needs_source:  # editing (m=1), or a source after the reference prefix (TSE, VC)
        what = "edits audio" if spec.m == EDITING else "transforms a source after the reference"
        if not sources or len(sources) != len(texts):
            raise InputError(f"task {spec.name!r} {what}: give one source per text ({_arg('source')} file.wav)")
        waves = tuple(_source(s, frames * spf, sample_rate, spf, sample) for s in sources)
    elif sources:
        raise InputError(f"task {spec.name!r} takes no source audio ({_arg('source')} is for editing tasks)")
    if spec.m == ZERO_SHOT:
        who = "zero-shot TTS" if not spec.with_source else spec.name
        if reference is None:
            raise InputError(f"{who} needs a reference speaker clip ({_arg('reference')} ref.wav)")
        if len(texts) != 1:
            raise InputError(f"{who} items have their own prefix lengths: give one text per request")
        ref = _reference(reference, secs, sample_rate, spf, sample)
    elif reference is not None:
        raise InputError(f"task {spec.name!r} takes no reference audio ({_arg('reference')} is for zero-shot TTS)")
    return Request(spec, texts, seeds, secs, frames, n_steps, w, method, sample.cfg_formula, sample_rate, hop,
                   waves, ref)
