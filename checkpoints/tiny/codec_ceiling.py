"""Codec ceiling of the offline KL: kl@yamnet-16k (the bench's formula and YAMNet logits) of the
tiny codec's own resynthesis (encode -> decode, no DiT) of each target of a mini test set, next to
the same score of bench runs' generated audio.

    python checkpoints/tiny/codec_ceiling.py <testset folder with manifest.jsonl> <run folder> [<run folder> ...]
    # a candidate codec before any DiT exists: profile=tiny plus audio overrides
    python checkpoints/tiny/codec_ceiling.py <testset> --codec audio.vae.path=runs/vae.pth audio.vae.latent_channels=20
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bench.extractors.yamnet import build
from bench.metrics.classifier import kl_ref_gen
from unison.audio.codec import build_codec
from unison.config import load_config
from unison.core.audio import read_mono, resample
from unison.pipeline import UnisonPipeline


def load(path, sr):
    return read_mono(path, sr)[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("testset", type=Path)
    p.add_argument("runs", type=Path, nargs="*", help="run folders holding audio/<item id>.wav")
    p.add_argument("--ckpt", type=Path, default=Path(__file__).with_name("unison-tiny.safetensors"))
    p.add_argument("--codec", nargs="+", metavar="OVERRIDE",
                   help="build the codec from profile=tiny + these overrides instead of --ckpt's")
    a = p.parse_args()
    torch.set_num_threads(1)
    items = [json.loads(line) for line in (a.testset / "manifest.jsonl").open()]
    if a.codec:  # resynthesis does not depend on the latent statistics (encode normalises, decode undoes it)
        audio = load_config(["profile=tiny", *a.codec], cross_checks=False).audio
        codec = build_codec(audio, None)
    else:
        pipe = UnisonPipeline.from_checkpoint(a.ckpt)
        codec, audio = pipe.codec, pipe.cfg.audio
    sr, hop2 = codec.sample_rate, 2 * audio.mel.hop_length
    yam = build()

    def logits(waves):
        return np.stack([f["logits"] for f in yam.extract(waves, [None] * len(waves))])

    ref = logits([load(a.testset / it["target"], 16000) for it in items])
    resyn = []
    with torch.no_grad():
        for it in items:
            w = load(a.testset / it["target"], sr)
            w = w[: len(w) // hop2 * hop2]  # whole latent frames
            out = codec.decode(codec.encode(torch.from_numpy(w)[None]))[0].float().numpy()
            resyn.append(resample(out, sr, 16000))
    print(f"kl@yamnet-16k over {len(items)} items")
    print(f"  codec resynthesis of the targets: {kl_ref_gen(ref, logits(resyn)).mean():.3f}")
    for run in a.runs:
        gen = logits([load(run / "audio" / f"{it['id']}.wav", 16000) for it in items])
        print(f"  {run}: {kl_ref_gen(ref, gen).mean():.3f}")


if __name__ == "__main__":
    main()
