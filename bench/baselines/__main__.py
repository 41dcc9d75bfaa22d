"""``python -m bench.baselines RUNS DEST``: copy every results.json (+ samples.jsonl) of a runs folder
into a baseline folder, keeping the <suite>/<system>/<seed>/ layout. Test sets, audio and caches
are not copied: a baseline is numbers only. Every file is validated first, so a baseline that
`regress` would refuse is never written."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.results import ResultsError, load_results, load_samples
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.baselines RUNS_DIR DEST_DIR", file=sys.stderr)
        return EXIT_BAD_INPUT
    runs, dest = Path(args[0]), Path(args[1])
    found = sorted(runs.glob("*/*/*/results.json"))
    if not found:
        print(f"no <suite>/<system>/<seed>/results.json under {runs}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        for res in found:
            load_results(res)
            load_samples(res.parent / "samples.jsonl")
    except ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if dest.exists():
        shutil.rmtree(dest)
    for res in found:
        rel = res.parent.relative_to(runs)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        shutil.copy2(res, dest / rel / "results.json")
        if (res.parent / "samples.jsonl").is_file():
            shutil.copy2(res.parent / "samples.jsonl", dest / rel / "samples.jsonl")
    print(f"{len(found)} results copied to {dest}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
