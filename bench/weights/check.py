"""One file's checksum against what it must be: the published sha256 (WeightSpec.sha256) when there
is one, else the one the lock file recorded at its first verified use (recorded now if absent)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.weights.lock import Lock
from unison.core.weights import WeightSpec, cached_sha256

OK_PUBLISHED, OK_LOCKED, RECORDED, MISMATCH = "ok (published sha256)", "ok (lock)", "recorded in lock", "MISMATCH"


def lock_key(spec: WeightSpec, filename: str) -> str:
    return f"{spec.name}/{filename}"


@dataclass
class Verdict:
    key: str
    path: Path
    status: str
    sha256: str
    expected: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != MISMATCH


def mismatch_message(spec: WeightSpec, key: str, path: Path, got: str, expected: str, published: bool,
                     lock: Lock) -> str:
    refetch = f"`unison-bench weights fetch {spec.name} --force`"
    if published:
        return (f"{key}: {path} has sha256 {got}, but the published sha256 is {expected}: the file was swapped "
                f"or damaged. Re-fetch it with {refetch} (or replace it with the published file).")
    return (f"{key}: {path} has sha256 {got}, but the lock file {lock.path} recorded {expected}. If the file "
            f"was swapped or damaged, re-fetch it with {refetch}; if the change is intended, accept the new file "
            f"with `unison-bench weights verify {spec.name} --update-lock`.")


def check_file(spec: WeightSpec, filename: str, path: Path, lock: Lock, update_lock: bool = False,
               sha256: str | None = None, record: bool = True) -> Verdict:
    """Compare ``path`` (the file ``filename`` of ``spec``) with its pin; records new lock entries (and,
    with ``update_lock``, replaces a differing one) unless ``record`` is False (the caller records
    later). ``sha256``: the digest if already known."""
    key = lock_key(spec, filename)
    got = sha256 or cached_sha256(path)
    published = spec.sha256 if filename == spec.filename else None
    if published:
        if got == published:
            return Verdict(key, path, OK_PUBLISHED, got, published)
        return Verdict(key, path, MISMATCH, got, published,
                       mismatch_message(spec, key, path, got, published, True, lock))
    locked = lock.expected(key)
    if locked == got:
        return Verdict(key, path, OK_LOCKED, got, locked)
    if locked is None or update_lock:
        if record:
            lock.record(key, got, path.stat().st_size)
        return Verdict(key, path, RECORDED, got, locked)
    return Verdict(key, path, MISMATCH, got, locked, mismatch_message(spec, key, path, got, locked, False, lock))
