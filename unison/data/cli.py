"""`unison data ...`: the offline mini corpus, dataset manifests, manifest checks.

    unison data mini-corpus --out data/mini              # tiny profile rate (22.05 kHz), seed 0
    unison data manifest libritts /data/LibriTTS --out libritts.jsonl
    unison data check data/mini/manifest.jsonl --sample-rate 22050
    unison data check libritts.jsonl --data-root /data/LibriTTS   # rows may point into that folder too
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from unison.core.exit_codes import EXIT_OK


def _sample_rate(args: argparse.Namespace) -> int:
    if args.sample_rate is not None:
        return args.sample_rate
    from unison.config import load_config

    return load_config([f"profile={args.profile}"]).audio.mel.sample_rate


def _mini_corpus(args: argparse.Namespace) -> int:
    from unison.data.corpora.mini import build_mini_corpus
    from unison.data.manifests import read_rows

    sr = _sample_rate(args)
    t0 = time.perf_counter()
    path = build_mini_corpus(args.out, sample_rate=sr, seed=args.seed, limit=args.limit)
    rows = read_rows(path)
    hours = sum(r.duration for r in rows) / 3600
    kinds = {k: sum(r.kind == k for r in rows) for k in ("sound", "speech")}
    print(f"wrote {path}: {len(rows)} clips ({kinds['sound']} sound, {kinds['speech']} speech, {hours:.2f} h) "
          f"at {sr} Hz in {time.perf_counter() - t0:.0f} s")
    return EXIT_OK


def _manifest(args: argparse.Namespace) -> int:
    from unison.core.paths import allow_hint
    from unison.data.corpora import build_manifest
    from unison.data.manifests import read_rows

    path = build_manifest(args.corpus, args.root, args.out)
    root = args.root.resolve()
    print(f"wrote {path}: {len(read_rows(path, roots=[root]))} rows")
    if not root.is_relative_to(path.parent.resolve()):
        print(f"its rows point into {root}, outside the manifest's folder: to read it, {allow_hint()} with DIR={root}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from unison.data.manifests import ValidationRules, load_manifest

    m = load_manifest(args.manifest, ValidationRules(sample_rate=args.sample_rate, min_seconds=args.min_seconds),
                      roots=args.data_root)
    print(f"{args.manifest}: {len(m.rows)} usable rows, {m.skipped.total} skipped"
          + (f" ({m.skipped.summary()})" if m.skipped.total else ""))
    return EXIT_OK


def add_data_root_argument(p: argparse.ArgumentParser) -> None:
    from unison.core.paths import DATA_ROOT_ENV

    p.add_argument("--data-root", type=Path, action="append", default=[], metavar="DIR",
                   help="also allow manifest rows to name files below DIR (repeatable; default: only the "
                        f"manifest's folder, plus ${DATA_ROOT_ENV})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from unison.data.corpora import ADAPTERS

    sub = parser.add_subparsers(dest="data_command", required=True)
    mini = sub.add_parser("mini-corpus", help="build the offline mini training corpus (deterministic)")
    mini.add_argument("--out", required=True, type=Path, help="output folder (manifest.jsonl + WAV files)")
    mini.add_argument("--profile", default="tiny", help="profile whose audio rate to use (default: tiny)")
    mini.add_argument("--sample-rate", type=int, default=None, help="override the profile's sample rate")
    mini.add_argument("--seed", type=int, default=0)
    mini.add_argument("--limit", type=int, default=None, help="first N items of each source (smoke runs)")
    mini.set_defaults(func=_mini_corpus)

    man = sub.add_parser("manifest", help="turn a dataset folder into a manifest")
    man.add_argument("corpus", choices=sorted(ADAPTERS))
    man.add_argument("root", type=Path, help="the dataset's folder, in its published layout")
    man.add_argument("--out", required=True, type=Path, help="manifest to write (JSONL)")
    man.set_defaults(func=_manifest)

    chk = sub.add_parser("check", help="validate a manifest and report skipped rows by reason")
    chk.add_argument("manifest", type=Path)
    chk.add_argument("--sample-rate", type=int, default=None, help="demand this rate of every file")
    chk.add_argument("--min-seconds", type=float, default=0.3)
    add_data_root_argument(chk)
    chk.set_defaults(func=_check)
