"""``unison-bench weights list|verify|fetch [--protocol paper|offline|all] [NAME ...]``.

list    every weights file the metrics and the model can use: where it was found (or every place
        looked), size, sha256, its checksum pin, its source, and the metric variants that need it
verify  each file found against its published sha256, else the lock file (recorded at first use)
fetch   download into $UNISON_WEIGHTS_DIR/<name>/<file>: resumable, checked, then renamed into place

Exit codes: 0 ok; 1 a file differs from its pin or a download failed; 2 bad input (unknown protocol
or name, no weights folder, an unwritable folder, a lock file that is not a weights lock).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bench.weights.check import MISMATCH, check_file, lock_key
from bench.weights.fetch import FAILED, MANUAL, fetch_spec, source_of
from bench.weights.inventory import PROTOCOLS, Listed, build_inventory
from bench.weights.lock import Lock, LockFileError, default_lock_path
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_VERIFY_FAILED
from unison.core.weights import cached_sha256, locate


class WeightsInputError(ValueError):
    """Bad input to a weights command (exit 2)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("names", nargs="*", metavar="NAME", help="only these weights (names as `list` prints them)")
        sp.add_argument("--protocol", default="all", choices=PROTOCOLS,
                        help="paper: files a paper-protocol variant needs; offline: files an offline variant needs; "
                             "all (default): every file, the model's own included")
        sp.add_argument("--weights-dir", type=Path, default=None,
                        help="weights folder (default $UNISON_WEIGHTS_DIR); files go to <dir>/<name>/<file>")

    def lock_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lock", type=Path, default=None,
                        help="lock file of the sha256 recorded for files without a published one "
                             "(default <weights dir>/weights.lock.json)")
        sp.add_argument("--update-lock", action="store_true",
                        help="accept a file whose sha256 differs from the lock (an intended change) and record it")

    sp = sub.add_parser("list", help="every weights file: where found or looked, size, sha256, who needs it")
    common(sp)
    sp.add_argument("--json", action="store_true", help="one JSON document on stdout")
    sp = sub.add_parser("verify", help="check each file found against its published sha256 or the lock file")
    common(sp)
    lock_args(sp)
    sp.add_argument("--json", action="store_true", help="one JSON document on stdout")
    sp = sub.add_parser("fetch", help="download the files into the weights folder (resumable, checksum-checked)")
    common(sp)
    lock_args(sp)
    sp.add_argument("--force", action="store_true", help="download again even when the file is present")
    sp.add_argument("--no-progress", action="store_true", help="no progress bar (none either when not on a terminal)")


@contextmanager
def _weights_dir_env(weights_dir: Path | None) -> Iterator[None]:
    """--weights-dir stands for $UNISON_WEIGHTS_DIR while the command runs (the resolver reads it)."""
    if weights_dir is None:
        yield
        return
    old = os.environ.get("UNISON_WEIGHTS_DIR")
    os.environ["UNISON_WEIGHTS_DIR"] = str(weights_dir)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("UNISON_WEIGHTS_DIR", None)
        else:
            os.environ["UNISON_WEIGHTS_DIR"] = old


def _select(args: argparse.Namespace) -> tuple[list[Listed], list[str]]:
    inv = build_inventory()
    try:
        return inv.select(args.protocol, args.names), inv.problems
    except ValueError as e:
        raise WeightsInputError(str(e)) from None


def _lock(args: argparse.Namespace) -> Lock:
    path = args.lock or default_lock_path(args.weights_dir)
    if path is None:
        raise WeightsInputError("no lock file location: set UNISON_WEIGHTS_DIR (the lock is "
                                "$UNISON_WEIGHTS_DIR/weights.lock.json) or pass --weights-dir or --lock")
    try:
        return Lock.load(path)
    except LockFileError as e:
        raise WeightsInputError(str(e)) from None


def _save(lock: Lock) -> None:
    try:
        lock.save()
    except OSError as e:
        raise WeightsInputError(f"cannot write the weights lock file {lock.path} ({e.strerror or e}); "
                                "choose a writable location with --lock") from None


def _writable_dir(args: argparse.Namespace) -> Path:
    root = args.weights_dir or os.environ.get("UNISON_WEIGHTS_DIR")
    if not root:
        raise WeightsInputError("no weights folder: set UNISON_WEIGHTS_DIR or pass --weights-dir "
                                "(files go to <dir>/<name>/<file>)")
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test."):
            pass
    except OSError as e:
        raise WeightsInputError(f"weights folder {root} is not writable ({e.strerror or e}); choose a writable "
                                "folder with --weights-dir or UNISON_WEIGHTS_DIR") from None
    return root


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _pin(entry: Listed, lock: Lock | None) -> str:
    spec = entry.spec
    if spec.sha256:
        return "published"
    return "lock" if lock is not None and lock.expected(lock_key(spec, spec.filename)) else "none"


def describe(entry: Listed, lock: Lock | None) -> dict[str, Any]:
    spec = entry.spec
    found = locate(spec)
    view: dict[str, Any] = {
        "name": spec.name, "filename": spec.filename, "companions": list(spec.companions),
        "protocols": sorted(entry.protocols), "metrics": sorted(entry.metrics), "extractors": entry.extractors,
        "env": spec.env_var, "found": found.path is not None, "path": str(found.path) if found.path else None,
        "where": found.where or None, "looked": found.looked, "size": None, "sha256": None,
        "pinned_sha256": spec.sha256, "pin": _pin(entry, lock), "hf_repo": spec.hf_repo, "url": spec.url,
        "source": source_of(spec), "how_to_get": spec.how_to_get}
    if found.path is not None:
        view["size"] = found.path.stat().st_size
        view["sha256"] = cached_sha256(found.path)
    return view


def _optional_lock(args: argparse.Namespace) -> Lock | None:
    path = default_lock_path(args.weights_dir)
    return _lock(args) if path is not None and path.exists() else None


def cmd_list(args: argparse.Namespace) -> int:
    entries, problems = _select(args)
    lock = _optional_lock(args)
    views = [describe(e, lock) for e in entries]
    if args.json:
        print(json.dumps({"protocol": args.protocol, "files": views, "problems": problems}, indent=2))
        return EXIT_OK
    for v in views:
        used = ", ".join(v["metrics"]) or ("the UNISON model" if "model" in v["protocols"] else
                                           f"no metric variant (extractor {', '.join(v['extractors'])})")
        tags = ",".join(v["protocols"]) or "-"
        print(f"{v['name']}  {v['filename']}  [{tags}]  needed by: {used}")
        if v["found"]:
            print(f"  found:  {v['path']}  ({v['where']}), {_size(v['size'])}, sha256 {v['sha256']}, pin: {v['pin']}")
        else:
            print(f"  missing; looked in: {'; '.join(v['looked'])}")
        if v["companions"]:
            print(f"  with:   {', '.join(v['companions'])} (same folder)")
        print(f"  source: {v['source']}")
    missing = sum(not v["found"] for v in views)
    print(f"{len(views)} files ({args.protocol}): {len(views) - missing} found, {missing} missing")
    for p in problems:
        print(f"warning: catalog entry not read: {p}", file=sys.stderr)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    entries, _ = _select(args)
    lock = _lock(args)
    rows: list[dict[str, Any]] = []
    for e in entries:
        found = locate(e.spec)
        if found.path is None:
            rows.append({"key": lock_key(e.spec, e.spec.filename), "status": "missing", "path": None,
                         "message": f"missing; looked in: {'; '.join(found.looked)}"})
            continue
        for f in (e.spec.filename, *e.spec.companions):
            path = found.path.parent / f
            if not path.is_file():
                rows.append({"key": lock_key(e.spec, f), "status": "missing", "path": str(path),
                             "message": f"missing beside {found.path.name}"})
                continue
            v = check_file(e.spec, f, path, lock, args.update_lock)
            rows.append({"key": v.key, "status": v.status, "path": str(path), "sha256": v.sha256,
                         "expected": v.expected, "message": v.message})
    _save(lock)
    failed = [r for r in rows if r["status"] == MISMATCH]
    if args.json:
        print(json.dumps({"protocol": args.protocol, "lock": str(lock.path), "files": rows}, indent=2))
    else:
        for r in rows:
            print(f"{r['status']:22s} {r['key']}  {r['path'] or ''}")
        ok = sum(r["status"] not in (MISMATCH, "missing") for r in rows)
        print(f"{ok} verified, {len(failed)} mismatched, {sum(r['status'] == 'missing' for r in rows)} missing "
              f"(lock {lock.path})")
    for r in failed:
        print(f"error: {r['message']}", file=sys.stderr)
    return EXIT_VERIFY_FAILED if failed else EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    root = _writable_dir(args)
    entries, _ = _select(args)
    lock = _lock(args)
    progress = not args.no_progress and sys.stderr.isatty()
    results = []
    for e in entries:
        r = fetch_spec(e.spec, root, lock, force=args.force, update_lock=args.update_lock, progress=progress)
        _save(lock)  # after each release: a run cut short keeps what it verified
        results.append(r)
        print(f"{r.status:8s} {r.message}" if r.status != FAILED else f"{r.status:8s} {r.name}")
        if r.status == FAILED:
            print(f"error: {r.message}", file=sys.stderr)
    n = {s: sum(r.status == s for r in results) for s in ("present", "fetched", MANUAL, FAILED)}
    print(f"{n['fetched']} fetched, {n['present']} already present, {n[MANUAL]} to provide by hand, "
          f"{n[FAILED]} failed (weights {root}, lock {lock.path})")
    return EXIT_VERIFY_FAILED if n[FAILED] else EXIT_OK


COMMANDS = {"list": cmd_list, "verify": cmd_verify, "fetch": cmd_fetch}


def run(args: argparse.Namespace) -> int:
    try:
        with _weights_dir_env(args.weights_dir):
            return COMMANDS[args.action](args)
    except WeightsInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
