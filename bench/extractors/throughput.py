"""Throughput of feature extractors on this CPU: clips/s on 10 s clips, batched as the runner
batches them (``extractor.batch_size``). Clips are real recorded speech (Debian asterisk prompts,
concatenated to the clip length) so that ASR decodes real words.

    python -m bench.extractors.throughput yamnet-16k faster-whisper-base --n 8 --seconds 10
"""
from __future__ import annotations

import argparse
import json
import logging
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("extractors", nargs="*", default=["yamnet-16k", "faster-whisper-base",
                   "faster-whisper-tiny-en", "resemblyzer", "voice2gender"])
    p.add_argument("--n", type=int_in(1), default=8)
    p.add_argument("--seconds", type=float_in(0.1, 600.0), default=10.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    for name in args.extractors:
        print(json.dumps(extractor_throughput(name, args.n, args.seconds)), flush=True)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
