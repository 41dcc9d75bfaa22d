"""HiFi-GAN (the tiny22k preset's vocoder) vs a trained Vocos vocoder, measured in one run.

    python checkpoints/tiny/vocoder_bench.py --vocos checkpoints/tiny/vocos-tiny22k.safetensors \
        --manifest runs/mini_corpus/manifest.jsonl --vae checkpoints/tiny/vae.pth --threads 1 --json out.json

Speed: 5-s mels (the frame count ``unison generate --seconds 5`` decodes: 2 * ceil(5 * sr / 2 / hop))
cut from the held-out clips; each round vocodes every clip with both vocoders, alternating which
goes first, and records the process CPU time (all threads) and wall time of each call. Also one
forward over a batch of ``--batch`` clips per vocoder (CPU per clip, and whether each item's
output is bitwise the one it gets on its own).

Quality, on the held-out clips of the vocos fit (its ``holdout_every``, read from the weights
file, so none was trained on): mel L1 of the resynthesis (the preset's log mel of vocoder(mel) vs
mel), the faster-whisper-base WER of resynthesised held-out English speech (resynthesis_wer.py's
code path; with ``--vae`` also VAE + vocoder), and YAMNet (bench extractor ``yamnet-16k``) distances of
resynthesised held-out sounds to the originals: kl@yamnet-16k (the bench formula, softmax of
the clip logits) and the L2 distance of the 1024-d clip embeddings. Griffin-Lim (32 iterations)
is scored alongside as a weights-free reference.
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)


def five_second_mels(clips, audio, seconds: float, count: int) -> list[torch.Tensor]:
    """``count`` log mels of exactly the frame count ``seconds`` of generated audio has, cut from the
    held-out clips laid end to end."""
    from unison.audio.mel import MelSpectrogram
    from unison.audio.sequence import latent_length

    frames = 2 * latent_length(seconds, audio.mel.sample_rate, audio.mel.hop_length)
    n = frames * audio.mel.hop_length
    wave = torch.cat([c.wave for c in clips])
    if wave.shape[0] < count * n:
        wave = wave.repeat(count * n // wave.shape[0] + 1)
    mel = MelSpectrogram(audio.mel)
    with torch.no_grad():
        return [mel(wave[i * n:(i + 1) * n][None]) for i in range(count)]  # each (1, n_mels, frames)


def _timed(fn, *args):
    c, w = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.process_time() - c, time.perf_counter() - w


@torch.no_grad()
def speed(vocoders: dict, mels: list[torch.Tensor], rounds: int, batch: int) -> dict:
    names = list(vocoders)
    for name in names:  # warm-up (first-call allocations, lazy kernels)
        vocoders[name](mels[0])
    cpu = {n: [] for n in names}
    wall = {n: [] for n in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for mel in mels:
            for name in order:
                _, c, w = _timed(vocoders[name], mel)
                cpu[name].append(c)
                wall[name].append(w)
    out = {"clips": len(mels), "rounds": rounds, "frames": int(mels[0].shape[-1]), "threads": torch.get_num_threads()}
    for name in names:
        out[name] = {"cpu_s_per_clip": statistics.mean(cpu[name]), "cpu_s_median": statistics.median(cpu[name]),
                     "wall_s_per_clip": statistics.mean(wall[name])}
    if len(names) == 2:
        a, b = names
        out["ratio_cpu"] = out[a]["cpu_s_per_clip"] / out[b]["cpu_s_per_clip"]
        out["ratio_cpu_paired_median"] = statistics.median(x / y for x, y in zip(cpu[a], cpu[b]))
    if batch > 1:
        stacked = torch.cat(mels[:batch])
        out["batched"] = {"batch": int(stacked.shape[0])}
        for name in names:
            singles = torch.cat([vocoders[name](m) for m in mels[:batch]])
            together, c, w = _timed(batched_forward(vocoders[name]), stacked)
            out["batched"][name] = {"cpu_s_per_clip": c / stacked.shape[0], "wall_s_per_clip": w / stacked.shape[0],
                                    "bitwise_equal_to_single": bool(torch.equal(together, singles)),
                                    "max_abs_diff": float((together - singles).abs().max())}
    return out


def batched_forward(vocoder):
    """One forward over the whole batch (the vocoder's generator, bypassing any per-item loop)."""
    if hasattr(vocoder, "vocode_batched"):
        return vocoder.vocode_batched
    return vocoder.vocode


@torch.no_grad()
def mel_l1(vocoder, clips, audio) -> dict[str, float]:
    """Mean |log mel(vocoder(mel)) - log mel| over all frames and bins: of all clips, and per kind."""
    from unison.audio.mel import MelSpectrogram

    mel = MelSpectrogram(audio.mel)
    sums: dict[str, list[float]] = {}
    for c in clips:
        err = float((mel(vocoder(c.mel[None]))[0] - c.mel).abs().sum())
        for key in ("all", c.row.kind):
            acc = sums.setdefault(key, [0.0, 0.0])
            acc[0] += err
            acc[1] += c.mel.numel()
    return {k: e / n for k, (e, n) in sums.items()}


@torch.no_grad()
def yamnet_distances(vocoders: dict, clips, audio, vae=None) -> dict:
    import soxr

    from bench.extractors.yamnet import build
    from bench.metrics.classifier import kl_ref_gen

    yam = build()
    reason = yam.available()
    if reason:
        return {"unavailable": reason}
    sr = audio.mel.sample_rate

    def feats(waves):
        w16 = [soxr.resample(np.asarray(w, dtype=np.float32), sr, 16000, "HQ").astype(np.float32) for w in waves]
        f = yam.extract(w16, [None] * len(w16))
        return np.stack([x["logits"] for x in f]), np.stack([x["embedding"] for x in f])

    ref_logits, ref_emb = feats([c.wave.numpy() for c in clips])
    out = {"clips": len(clips), "extractor": "yamnet-16k"}
    mels = {"": [c.mel for c in clips]}
    if vae is not None:
        from unison.train.vae_fit import reconstruct

        mels["vae+"] = [reconstruct(vae, c.mel[:, : c.mel.shape[1] // 2 * 2]) for c in clips]
    for prefix, ms in mels.items():
        for name, voc in vocoders.items():
            logits, emb = feats([voc(m[None])[0].numpy() for m in ms])
            n = min(len(ref_emb), len(emb))
            out[prefix + name] = {"kl": float(kl_ref_gen(ref_logits, logits).mean()),
                                  "embedding_l2": float(np.linalg.norm(ref_emb[:n] - emb[:n], axis=1).mean())}
    return out


def build_vocoders(vocos_path: Path, audio, griffinlim: bool) -> dict:
    from unison.audio.vocoder import build_vocoder
    from unison.audio.vocoder.vocos import load_vocos

    vocoders = {"hifigan": build_vocoder(replace(audio.vocoder, kind="hifigan", weights="hifigan-universal-22k",
                                                 path=None), audio.mel).eval(),
                "vocos": load_vocos(vocos_path).eval()}
    vocoders["vocos"].check_mel_config(audio.mel)
    if griffinlim:
        vocoders["griffinlim"] = build_vocoder(replace(audio.vocoder, kind="griffinlim"), audio.mel)
    return vocoders


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vocos", type=Path, required=True, help="vocos weights (.safetensors from unison train-vocoder)")
    p.add_argument("--manifest", type=Path, required=True, help="the corpus the vocos fit used (its held-out clips)")
    p.add_argument("--vae", type=Path, default=None, help="tiny VAE (.pth): also score VAE + vocoder")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--clips", type=int, default=4, help="5-s mels per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=4, help="batched-forward size (0: skip)")
    p.add_argument("--skip-quality", action="store_true", help="speed only")
    p.add_argument("--wer-clips", type=int, default=1000, help="at most this many held-out English speech clips")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    p.add_argument("--data-root", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("overrides", nargs="*", default=["profile=tiny"], help="audio preset (default profile=tiny)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from unison.audio.vocoder.vocos import read_vocos
    from unison.config import load_config
    from unison.train.vocoder_fit import load_clips

    if a.threads:
        torch.set_num_threads(a.threads)
    audio = load_config(a.overrides or ["profile=tiny"], cross_checks=False).audio
    meta = read_vocos(a.vocos)[3]
    holdout_every = json.loads(meta["fit"])["holdout_every"] if "fit" in meta else 10
    _, held = load_clips(a.manifest, audio, holdout_every, 1, a.data_root)
    vocoders = build_vocoders(a.vocos, audio, griffinlim=not a.skip_quality)
    timed = {k: vocoders[k] for k in ("hifigan", "vocos")}
    result = {"vocos": str(a.vocos), "manifest": str(a.manifest), "holdout_every": holdout_every,
              "heldout_clips": len(held),
              "speed": speed(timed, five_second_mels(held, audio, a.seconds, a.clips), a.rounds, a.batch)}
    _print_speed(result["speed"])
    if not a.skip_quality:
        vae = None
        if a.vae is not None:
            from unison.audio.vae import load_vae

            vae = load_vae(replace(audio.vae, weights=None, path=str(a.vae)))
        result["mel_l1"] = {name: mel_l1(v, held, audio) for name, v in vocoders.items()}
        counts = {k: sum(c.row.kind == k for c in held) for k in {c.row.kind for c in held}}
        for kind in result["mel_l1"]["vocos"]:
            print("held-out mel L1, %s (%d clips): %s" % (kind, counts.get(kind, len(held)), ", ".join(
                f"{name} {row[kind]:.4f}" for name, row in result["mel_l1"].items())))
        from bench.extractors.faster_whisper_base import FasterWhisperBase
        from resynthesis_wer import wer_of  # this folder's script (run as a script, its folder is on sys.path)
        from unison.train.vae_fit import resynthesized_speech

        rows = [(c.row, c.mel, c.path) for c in held]
        asr = FasterWhisperBase()
        reason = asr.available()
        result["wer"] = {name: {"unavailable": reason} if reason else
                         wer_of(asr, *resynthesized_speech(vae, audio, rows, a.wer_clips, vocoder=v), audio.mel.sample_rate)
                         for name, v in timed.items()}
        print("WER faster-whisper-base: " + json.dumps(result["wer"]))
        sounds = [c for c in held if c.row.kind == "sound"]
        result["yamnet_sounds"] = yamnet_distances(vocoders, sounds, audio, vae)
        print("YAMNet, held-out sounds: " + json.dumps(result["yamnet_sounds"]))
    if a.json:
        from unison.core.files import atomic_write_text

        atomic_write_text(a.json, json.dumps(result, indent=2) + "\n")
    return 0


def _print_speed(s: dict) -> None:
    print(f"CPU per {s['frames']}-frame clip ({s['clips']} clips x {s['rounds']} rounds, {s['threads']} threads):")
    for name in ("hifigan", "vocos"):
        print(f"  {name}: {s[name]['cpu_s_per_clip']:.3f} s CPU (median {s[name]['cpu_s_median']:.3f}), "
              f"{s[name]['wall_s_per_clip']:.3f} s wall")
    print(f"  ratio hifigan / vocos: {s['ratio_cpu']:.1f}x (median of paired ratios {s['ratio_cpu_paired_median']:.1f}x)")
    for name, b in s.get("batched", {}).items():
        if name != "batch":
            print(f"  batched x{s['batched']['batch']} {name}: {b['cpu_s_per_clip']:.3f} s CPU per clip, bitwise equal "
                  f"to one-by-one: {b['bitwise_equal_to_single']} (max diff {b['max_abs_diff']:.2e})")


if __name__ == "__main__":
    sys.exit(main())
