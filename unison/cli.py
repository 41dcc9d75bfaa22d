"""`unison` command line: info | generate | perf | train | train-vae | train-vocoder | data.

    unison info model=d24
    unison generate --ckpt u.safetensors --task tts --text "A man says hello." --seconds 5 -o out.wav
    unison perf --json perf.json

Trailing ``key=value`` words are hydra overrides (model presets for ``info``; recorded-config
overrides such as ``llm.path=...`` or ``sample.steps=50`` for ``generate``).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK
from unison.tasks import CLI_ALIASES

log = logging.getLogger("unison")


def _info(args: argparse.Namespace) -> int:
    from unison.config import load_config
    from unison.model import info

    cfg = load_config(args.overrides, cross_checks=False)
    print(info(cfg.model))  # built on the meta device: costs no memory
    return EXIT_OK


def _output_wav(path: Path) -> Path:
    """-o is checked before any work: a .wav file name in a folder that is not a file."""
    if path.suffix.lower() != ".wav":
        raise ValueError(f"-o/--output {path}: the output is a WAV file; give a name ending in .wav")
    if path.is_dir():
        raise ValueError(f"-o/--output {path} is a folder; give a file name such as {path / 'out.wav'}")
    if any(p.exists() and not p.is_dir() for p in path.parents):
        raise ValueError(f"-o/--output {path}: {next(p for p in path.parents if p.exists() and not p.is_dir())} "
                         "is a file, not a folder")
    return path


def _device(name: str):
    """--device checked before any work: a torch device string this machine has."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name!r} is not a torch device (e.g. cpu, cuda, cuda:1)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine; use --device cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return device


def _generate(args: argparse.Namespace) -> int:
    from unison.checkpoint import read_config
    from unison.core.audio import write_float_wav
    from unison.inputs import prepare
    from unison.pipeline import UnisonPipeline, overrides_to_dict

    import torch

    out, device = _output_wav(args.output), _device(args.device)
    overrides = overrides_to_dict(args.overrides)
    cfg = read_config(args.ckpt, overrides)  # the checkpoint's header only: the request is checked before loading
    request = prepare(cfg.sample, cfg.audio.mel.sample_rate, cfg.audio.mel.hop_length, args.task, [args.text],
                      args.seconds, [args.seed], sources=[args.source] if args.source else None,
                      reference=args.reference, steps=args.steps, cfg_scale=args.cfg_scale, solver=args.solver)
    pipe = UnisonPipeline.from_checkpoint(args.ckpt, overrides, device=device, dtype=getattr(torch, args.dtype))
    wave, sr = pipe.run(request)[0], pipe.sample_rate
    out = write_float_wav(out, wave, sr)  # written only now, after a successful generation
    print(f"wrote {out} ({wave.shape[0]} samples, {sr} Hz, {wave.shape[0] / sr:.2f} s)")
    return EXIT_OK


def _perf(args: argparse.Namespace) -> int:
    from unison.inference_efficiency import run_perf

    return run_perf(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unison", description="UNISON: unified audio generation and editing")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    info = sub.add_parser("info", help="parameter table and input channels of a model preset")
    info.add_argument("overrides", nargs="*", help="hydra overrides, e.g. model=d24 or profile=tiny")
    info.set_defaults(func=_info)

    gen = sub.add_parser("generate", help="generate or edit one clip with a checkpoint")
    gen.add_argument("--ckpt", required=True, help="UNISON checkpoint (.safetensors)")
    gen.add_argument("--task", required=True, choices=sorted(CLI_ALIASES), help="task")
    gen.add_argument("--text", required=True, help="instruction / caption / transcript")
    gen.add_argument("--source", help="source audio to edit (editing tasks; the mixture / source utterance of "
                     "target_speaker_extraction / voice_conversion); cropped to the output length")
    gen.add_argument("--reference", help="reference speaker clip (zs_tts; the enrolment / target voice of "
                     "target_speaker_extraction / voice_conversion); trimmed to sample.max_reference_seconds")
    gen.add_argument("--seconds", type=float, default=10.0,
                     help="output length in seconds, > 0 and at most sample.max_seconds (22 by default)")
    gen.add_argument("--seed", type=int, default=0, help="noise seed in [0, 2**63)")
    gen.add_argument("--steps", type=int, default=None,
                     help="ODE steps in [1, sample.max_steps] (default: sample.steps)")
    gen.add_argument("--cfg-scale", type=float, default=None, help="CFG scale, finite and >= 0 (default: sample.cfg_scale)")
    gen.add_argument("--solver", choices=["euler", "midpoint", "heun"], default=None)
    gen.add_argument("--device", default="cpu")
    gen.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="DiT weights dtype")
    gen.add_argument("-o", "--output", required=True, type=Path, help="output WAV path")
    gen.add_argument("overrides", nargs="*", help="config overrides, e.g. llm.path=/models/qwen")
    gen.set_defaults(func=_generate)

    perf = sub.add_parser("perf", help="matmul peak, DiT forward efficiency, sampler overhead, cache, memory")
    from unison.inference_efficiency import add_arguments

    add_arguments(perf)
    perf.set_defaults(func=_perf)

    from unison.train.run import add_train_arguments, add_vae_arguments, run_train, run_train_vae

    train = sub.add_parser("train", help="train UNISON (hydra overrides; torchrun for several processes)")
    add_train_arguments(train)
    train.set_defaults(func=run_train)
    train_vae = sub.add_parser("train-vae", help="fit the mel VAE of a small audio preset on a corpus")
    add_vae_arguments(train_vae)
    train_vae.set_defaults(func=run_train_vae)
    from unison.train import vocoder_fit

    train_vocoder = sub.add_parser("train-vocoder", help="fit the small Vocos vocoder on an audio preset's mel")
    vocoder_fit.add_arguments(train_vocoder)
    train_vocoder.set_defaults(func=vocoder_fit.run)

    data = sub.add_parser("data", help="training data: offline mini corpus, dataset manifests, manifest check")
    from unison.data.cli import add_arguments as add_data_arguments

    add_data_arguments(data)
    return p


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at emit time (main() may run repeatedly in one process)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _user_errors() -> tuple[type[BaseException], ...]:
    """What a user can cause (bad value, file or environment): one line and exit 2, never a traceback."""
    from unison.audio.vocoder.base import VocoderUnavailableError
    from unison.core.sources.voices import VoiceUnavailableError
    from unison.text.hidden_state_cache import CorruptCacheEntryError

    return (ValueError, OSError, FloatingPointError, VocoderUnavailableError, VoiceUnavailableError,
            CorruptCacheEntryError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler])
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - one line for users; -v shows the traceback of anything unexpected
        message = " ".join(str(e).split()) or type(e).__name__
        if isinstance(e, _user_errors()):
            # bad option, file, override or input audio; missing or refused weights; NaN in the output
            print(f"error: {message}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.verbose:
            raise
        print(f"error: unexpected {type(e).__name__}: {message} (a bug: rerun with -v for the traceback)",
              file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
