"""Resynthesis WER of a fitted mel VAE: faster-whisper-base (the bench's extractor, seed-tts-eval
normalisation) on held-out English speech of the corpus the VAE was fitted on, three ways: the
original audio, the vocoder on the true mel, and the vocoder on the VAE's reconstruction.

    python checkpoints/tiny/resynthesis_wer.py checkpoints/tiny/vae.pth --manifest runs/mini_corpus/manifest.jsonl \
        --clips 8 --write

The held-out clips are the fit's own (``fit.holdout_every`` of the VAE's report, <vae>.json);
``--write`` stores the result under ``report.wer`` of that report. The fit itself (``unison
train-vae``) knows nothing of the harness: this script is where the two meet.
"""
import argparse
import json
import sys
from pathlib import Path

import jiwer
import numpy as np
import torch

from bench.extractors.faster_whisper_base import FasterWhisperBase
from bench.metrics.asr import normalize
from unison.audio.vae import load_vae
from unison.config import load_config
from unison.core.audio import resample
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from unison.core.files import atomic_write_text
from unison.train.vae_fit import VAEFitConfig, load_mels, resynthesized_speech


def wer_of(asr: FasterWhisperBase, texts: list[str], waves: dict[str, list], sample_rate: int) -> dict:
    """WER of each way's waves (resampled to the ASR's rate) against the normalised transcripts."""
    refs = [normalize(t, "en") for t in texts]
    wer = {"clips": len(refs), "asr": asr.name}
    for name, ws in waves.items():
        if ws:
            hyps = [normalize(asr.transcribe(resample(np.asarray(w, dtype=np.float32), sample_rate,
                                                      asr.sample_rate), "en"), "en") for w in ws]
            wer[name] = float(jiwer.wer(refs, hyps))
    return wer


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("vae", type=Path, help="the fitted VAE state dict (.pth); its report <vae>.json beside it")
    p.add_argument("--manifest", type=Path, required=True, help="the corpus the VAE was fitted on")
    p.add_argument("--clips", type=int, default=8, help="held-out English speech clips to transcribe")
    p.add_argument("--data-root", type=Path, action="append", default=[], help="allowed data root of the manifest")
    p.add_argument("--write", action="store_true", help="store the result in <vae>.json under report.wer")
    p.add_argument("overrides", nargs="*", help="audio preset overrides on top of profile=tiny")
    a = p.parse_args()
    torch.set_num_threads(1)
    report_path = a.vae.with_suffix(".json")
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    holdout_every = (report or {}).get("fit", {}).get("holdout_every", VAEFitConfig.holdout_every)
    audio = load_config(["profile=tiny", "audio.vae.weights=null", f"audio.vae.path={a.vae.resolve()}", *a.overrides],
                        cross_checks=False).audio
    asr = FasterWhisperBase()
    reason = asr.available()
    if reason:
        print(f"error: faster-whisper-base is unavailable: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    vae = load_vae(audio.vae)
    _, held = load_mels(a.manifest, audio, holdout_every, a.data_root)
    texts, waves = resynthesized_speech(vae, audio, held, a.clips)
    wer = wer_of(asr, texts, waves, audio.mel.sample_rate)
    print(json.dumps(wer, indent=2))
    if a.write:
        if report is None:
            print(f"error: --write: no report {report_path} beside the VAE", file=sys.stderr)
            return EXIT_BAD_INPUT
        report["report"]["wer"] = wer
        atomic_write_text(report_path, json.dumps(report, indent=2))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
