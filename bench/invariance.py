"""``unison-bench invariance SUITE --system S --batch-sizes 1,4 --threads 1,2``

Generates the same items once per (batch size, thread count) in separate processes and compares
what came out: the audio of every item (bytes, and the largest sample difference against the first
configuration) and every metric value. Exit 0 when every configuration produced the same bytes and
the same numbers, 1 when anything differs, 2 on bad input. Use it on a new machine, a GPU runner or
a new torch before trusting a regression gate there.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.results import ResultsError, load_results
from unison.core.args import int_in
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_FAIL, EXIT_OK
from unison.core.files import atomic_write_text


def _int_list(text: str) -> list[int]:
    parse = int_in(1, 4096)
    values = [parse(x) for x in text.split(",") if x.strip()]
    if not values or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"must list distinct integers such as 1,4, got {text!r}")
    return values


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", help="suite name or path to its YAML")
    p.add_argument("--system", required=True, help="as for `unison-bench run`")
    p.add_argument("--system-arg", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--scale", default="mini", choices=["mini", "paper"])
    p.add_argument("--limit", type=int_in(1), default=None, help="only the first N items")
    p.add_argument("--metrics", default=None, help="comma-separated metric keys (default: the suite's)")
    p.add_argument("--batch-sizes", type=_int_list, default=[1, 4])
    p.add_argument("--threads", type=_int_list, default=[1, 2])
    p.add_argument("--out", type=Path, default=Path("runs/invariance"), help="one run folder per configuration")
    p.add_argument("--testsets", type=Path, default=None)
    p.add_argument("--cache", type=Path, default=None, help="feature cache (content-addressed, shared)")


def _run_one(args: argparse.Namespace, batch: int, threads: int) -> Path:
    out = args.out / f"batch{batch}-threads{threads}"
    cmd = [sys.executable, "-m", "bench.cli", "run", args.suite, "--system", args.system, "--scale", args.scale,
           "--batch-size", str(batch), "--threads", str(threads), "--out", str(out), "--no-progress"]
    for extra in args.system_arg:
        cmd += ["--system-arg", extra]
    for flag, value in (("--limit", args.limit), ("--metrics", args.metrics), ("--testsets", args.testsets),
                        ("--cache", args.cache)):
        if value is not None:
            cmd += [flag, str(value)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"batch {batch}, threads {threads}: `unison-bench run` exited {done.returncode}: "
                           f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    found = sorted(out.rglob("results.json"))
    if len(found) != 1:
        raise RuntimeError(f"expected one results.json under {out}, found {len(found)}")
    return found[0]


def _audio(run: Path) -> dict[str, tuple[str, np.ndarray]]:
    out = {}
    for wav in sorted((run.parent / "audio").glob("*.wav")):
        data = wav.read_bytes()
        out[wav.stem] = (hashlib.sha256(data).hexdigest(), sf.read(str(wav), dtype="float32", always_2d=True)[0])
    return out


def compare(runs: dict[str, Path]) -> tuple[str, bool]:
    """Markdown report of the audio and metric differences between the runs; True if all equal."""
    labels = list(runs)
    audio = {label: _audio(path) for label, path in runs.items()}
    results = {label: load_results(path) for label, path in runs.items()}
    ref = labels[0]
    same = True
    lines = [f"Audio: every configuration against `{ref}` ({len(audio[ref])} items)", "",
             "| configuration | items with identical bytes | max abs sample difference |", "|---|---|---|"]
    for label in labels:
        ids = sorted(set(audio[ref]) | set(audio[label]))
        identical = sum(audio[ref].get(i, ("",))[0] == audio[label].get(i, (None,))[0] for i in ids)
        diffs = [float(np.max(np.abs(audio[ref][i][1] - audio[label][i][1])))
                 for i in ids if i in audio[ref] and i in audio[label]
                 and audio[ref][i][1].shape == audio[label][i][1].shape]
        worst = max(diffs) if len(diffs) == len(ids) and diffs else float("inf")
        same &= identical == len(ids)
        lines.append(f"| {label} | {identical}/{len(ids)} | {worst:.3g} |")
    keys = sorted(set().union(*(r["metrics"] for r in results.values())))
    lines += ["", "Metrics:", "", "| metric | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for key in keys:
        values = [results[label]["metrics"].get(key, {}).get("value") for label in labels]
        same &= len(set(values)) == 1
        lines.append(f"| {key} | " + " | ".join("unavailable" if v is None else repr(v) for v in values) + " |")
    return "\n".join(lines) + "\n", same


def run(args: argparse.Namespace) -> int:
    runs = {}
    try:
        for batch, threads in itertools.product(args.batch_sizes, args.threads):
            runs[f"batch {batch}, threads {threads}"] = _run_one(args, batch, threads)
        text, same = compare(runs)
    except (RuntimeError, ResultsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(text)
    print("identical" if same else "DIFFERENT: outputs or numbers depend on batch size or thread count")
    summary = {label: str(path) for label, path in runs.items()}
    atomic_write_text(args.out / "invariance.json", json.dumps({"runs": summary, "identical": same}, indent=1) + "\n")
    return EXIT_OK if same else EXIT_FAIL


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="unison-bench invariance")
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
