"""Fetch one weights release into ``<weights dir>/<name>/``: download to a staging name, check every
file's sha256 (published pin, else the lock), and only then rename the files into place. A file
whose checksum differs is deleted, never published."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bench.weights.check import MISMATCH, RECORDED, Verdict, check_file
from bench.weights.download import DownloadError, http_download, hub_download
from bench.weights.lock import Lock
from unison.core.files import sha256_file
from unison.core.weights import WeightSpec, locate

PRESENT, FETCHED, MANUAL, FAILED = "present", "fetched", "manual", "FAILED"
STAGING = ".fetch"  # per-release folder the hub downloads go to before they are checked


@dataclass
class FetchResult:
    name: str
    status: str
    message: str = ""
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != FAILED


def source_of(spec: WeightSpec) -> str:
    """Where fetch gets the file from, or why it does not."""
    if spec.snapshot:
        return f"whole checkpoint folder, not fetched ({spec.how_to_get or spec.hf_repo})"
    if spec.hf_repo:
        return f"Hugging Face hub {spec.hf_repo}"
    if spec.url:
        return spec.url
    return f"no published URL ({spec.how_to_get or 'see the extractor documentation'})"


def _present(spec: WeightSpec, lock: Lock, update_lock: bool) -> FetchResult | None:
    """The result for a release already on this machine (all its files), else None (fetch it)."""
    found = locate(spec)
    if found.path is None or not all((found.path.parent / c).is_file() for c in spec.companions):
        return None
    verdicts = [check_file(spec, f, found.path.parent / f, lock, update_lock) for f in (spec.filename, *spec.companions)]
    bad = [v for v in verdicts if v.status == MISMATCH]
    if bad:
        return FetchResult(spec.name, FAILED, " ".join(v.message for v in bad), verdicts)
    return FetchResult(spec.name, PRESENT, f"{found.where}: {found.path}", verdicts)


def fetch_spec(spec: WeightSpec, weights_dir: Path, lock: Lock, *, force: bool = False, update_lock: bool = False,
               progress: bool = False) -> FetchResult:
    if spec.snapshot or not (spec.hf_repo or spec.url):
        return FetchResult(spec.name, MANUAL, f"{spec.name}: {source_of(spec)}")
    if not force:
        done = _present(spec, lock, update_lock)
        if done is not None:
            return done
    target = weights_dir / spec.name
    files = (*spec.companions, spec.filename)  # the main file last: it is what the resolver looks for
    staging = target / STAGING
    try:
        if spec.hf_repo:
            staged = {f: hub_download(spec.hf_repo, f, staging, progress=progress) for f in files}
        else:
            staged = {spec.filename: http_download(spec.url, target / f"{spec.filename}.part", progress=progress)}
    except DownloadError as e:
        return FetchResult(spec.name, FAILED, f"{spec.name}: download failed: {e}")
    digests = {f: sha256_file(p) for f, p in staged.items()}
    verdicts = [check_file(spec, f, p, lock, update_lock, sha256=digests[f], record=False) for f, p in staged.items()]
    bad = [v for v in verdicts if v.status == MISMATCH]
    if bad:
        for p in staged.values():
            p.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        detail = "; ".join(f"{v.key} from {source_of(spec)} has sha256 {v.sha256}, expected {v.expected}" for v in bad)
        fix = ("the published file changed or the transfer was damaged: run the fetch again; if the publisher "
               f"replaced the file on purpose, accept it with `unison-bench weights fetch {spec.name} --update-lock`"
               if all(v.expected != spec.sha256 for v in bad) else
               "run the fetch again (a mirror or proxy may serve a different file)")
        return FetchResult(spec.name, FAILED, f"{spec.name}: corrupted download refused and deleted: {detail}. {fix}.",
                           verdicts)
    for f, p in staged.items():  # checked: now publish, companions first
        p.replace(target / f)
    shutil.rmtree(staging, ignore_errors=True)
    for f, v in zip(staged, verdicts):
        v.path = target / f
        if v.status == RECORDED:
            lock.record(v.key, v.sha256, v.path.stat().st_size)
    return FetchResult(spec.name, FETCHED, f"{spec.name}: {target / spec.filename}", verdicts)
