"""Throughput of feature extractors on this CPU: clips/s on 10 s clips, batched as the runner
batches them (``extractor.batch_size``). Clips are real recorded speech (Debian asterisk prompts,
concatenated to the clip length) so that ASR decodes real words.

    python -m bench.extractors.throughput yamnet-16k faster-whisper-base --n 8 --seconds 10
    python -m bench.extractors.throughput --asr-compute-types float32,int8 --load 2   # ASR compute types, alternated

The compute-type comparison transcribes the same real prompts with each type in turn (A B A B ...),
quiet or beside ``--load N`` busy processes (a competing job on the same cores), and prints each
type's real-time factor (wall seconds per second of audio: lower is faster) and their ratio.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from unison.core.args import float_in, int_in
from unison.core.audio import read_mono
from unison.core.exit_codes import EXIT_OK

log = logging.getLogger(__name__)

SPEECH_DIR = Path("/usr/share/asterisk/sounds/en")  # Debian asterisk-core-sounds-en-wav


def speech_clips(n: int, seconds: float, sample_rate: int, source: Path = SPEECH_DIR) -> list[np.ndarray]:
    """n clips of real speech, each ``seconds`` long at ``sample_rate`` (prompts back to back)."""
    files = sorted(source.glob("*.wav"))
    if not files:
        raise FileNotFoundError(f"no WAV prompts in {source}: apt-get install asterisk-core-sounds-en-wav")
    need = int(round(seconds * sample_rate))
    clips, k = [], 0
    for _ in range(n):
        parts, have = [], 0
        while have < need:
            wav = read_mono(files[k % len(files)], sample_rate)[0]
            k += 1
            parts.append(wav)
            have += len(wav)
        clips.append(np.concatenate(parts)[:need].astype(np.float32))
    return clips


def extractor_throughput(name: str, n: int = 8, seconds: float = 10.0) -> dict[str, Any]:
    """Load one catalog extractor, warm it up on one clip, then time ``n`` clips in batches."""
    from bench.registry import EXTRACTORS

    ext = EXTRACTORS.create(name)
    reason = ext.available()
    if reason:
        return {"extractor": name, "unavailable": reason}
    clips = speech_clips(n, seconds, ext.sample_rate)
    sides = ["en"] * n
    t0 = time.perf_counter()
    ext.extract(clips[:1], sides[:1])  # model load + first-call overheads
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(0, n, ext.batch_size):
        ext.extract(clips[s:s + ext.batch_size], sides[s:s + ext.batch_size])
    dt = time.perf_counter() - t0
    return {"extractor": name, "clips": n, "seconds_per_clip": seconds, "batch_size": ext.batch_size,
            "load_and_first_s": round(warm, 2), "clips_per_s": round(n / dt, 3),
            "realtime_factor": round(n * seconds / dt, 1)}


class CompetingLoad:
    """N busy processes (float32 matrix products, one thread each) for the duration of a block."""

    CODE = "import numpy as np\na = np.random.rand(384, 384).astype(np.float32)\nwhile True:\n    a = a @ a; a /= abs(a).max()\n"

    def __init__(self, n: int):
        self.n, self.procs = n, []

    def __enter__(self) -> "CompetingLoad":
        import os
        import subprocess
        import sys

        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.procs = [subprocess.Popen([sys.executable, "-c", self.CODE], env=env) for _ in range(self.n)]
        time.sleep(1.0 if self.n else 0.0)  # let them start
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()


def asr_compute_types(types: list[str], n: int, seconds: float, load: int, rounds: int) -> dict[str, Any]:
    """Real-time factor of faster-whisper-base per CTranslate2 compute type, alternated in one run."""
    from bench.extractors.faster_whisper_base import FasterWhisperBase

    extractors = {}
    for ct in types:
        ext = FasterWhisperBase()
        ext.compute_type = ct
        extractors[ct] = ext
    clips = speech_clips(n, seconds, SAMPLE_RATE_ASR)
    for ext in extractors.values():
        ext.extract(clips[:1], ["en"])  # load the model and warm up outside the timed rounds
    audio = n * seconds
    load_before = os.getloadavg()[0]  # the machine's own load (other jobs), beside the figures
    rtf: dict[str, list[float]] = {ct: [] for ct in types}
    cpu: dict[str, list[float]] = {ct: [] for ct in types}
    with CompetingLoad(load):
        for _ in range(rounds):
            for ct, ext in extractors.items():
                t0, c0 = time.perf_counter(), time.process_time()
                ext.extract(clips, ["en"] * n)
                rtf[ct].append((time.perf_counter() - t0) / audio)
                cpu[ct].append((time.process_time() - c0) / audio)
    med = {ct: float(np.median(v)) for ct, v in rtf.items()}
    out: dict[str, Any] = {"extractor": "faster-whisper-base", "clips": n, "seconds_per_clip": seconds,
                           "competing_processes": load, "rounds": rounds,
                           "load_average_1min": {"before": round(load_before, 2),
                                                 "after": round(os.getloadavg()[0], 2)},
                           "realtime_factor_median": {ct: round(v, 3) for ct, v in med.items()},
                           "realtime_factor_all": {ct: [round(x, 3) for x in v] for ct, v in rtf.items()},
                           "cpu_seconds_per_audio_second_median": {ct: round(float(np.median(v)), 3)
                                                                   for ct, v in cpu.items()}}
    if len(types) == 2:
        a, b = types
        out[f"ratio_{a}_over_{b}"] = round(med[a] / med[b], 2)
    return out


SAMPLE_RATE_ASR = 16000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("extractors", nargs="*", default=["yamnet-16k", "faster-whisper-base",
                   "faster-whisper-tiny-en", "resemblyzer", "voice2gender"])
    p.add_argument("--n", type=int_in(1), default=8)
    p.add_argument("--seconds", type=float_in(0.1, 600.0), default=10.0)
    p.add_argument("--asr-compute-types", default=None, metavar="A,B",
                   help="compare faster-whisper-base compute types (e.g. float32,int8) instead")
    p.add_argument("--load", type=int_in(0, 64), default=0, help="competing busy processes during the comparison")
    p.add_argument("--rounds", type=int_in(1, 20), default=2, help="alternated rounds of the comparison")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.asr_compute_types:
        types = [t for t in args.asr_compute_types.split(",") if t]
        print(json.dumps(asr_compute_types(types, args.n, args.seconds, args.load, args.rounds)), flush=True)
        return 0
    for name in args.extractors:
        print(json.dumps(extractor_throughput(name, args.n, args.seconds)), flush=True)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
