"""The weights lock file: the sha256 of each file that has no published checksum, recorded on its
first verified use, so that a file swapped later is refused.

Format (JSON, written atomically)::

    {"version": 1, "files": {"<weights name>/<file name>": {"sha256": "...", "size": 123}}}

Default location: ``$UNISON_WEIGHTS_DIR/weights.lock.json``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from unison.core.files import atomic_write_text

LOCK_NAME = "weights.lock.json"
VERSION = 1


class LockFileError(ValueError):
    """The lock file exists but is not a weights lock (bad input)."""


def default_lock_path(weights_dir: str | Path | None) -> Path | None:
    root = weights_dir or os.environ.get("UNISON_WEIGHTS_DIR")
    return Path(root) / LOCK_NAME if root else None


class Lock:
    def __init__(self, path: Path, files: dict[str, dict] | None = None):
        self.path = Path(path)
        self.files: dict[str, dict] = dict(files or {})
        self.changed = False

    @classmethod
    def load(cls, path: str | Path) -> "Lock":
        """The lock at ``path`` (empty when the file does not exist yet)."""
        path = Path(path)
        if not path.exists():
            return cls(path)
        fix = f"fix or delete {path} (it is rewritten from the files present at the next verify)"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise LockFileError(f"weights lock file {path} is not readable JSON ({e}); {fix}") from None
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict) or data.get("version") != VERSION or not all(
                isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values()):
            raise LockFileError(f"weights lock file {path} is not a version-{VERSION} weights lock "
                                f'({{"version": {VERSION}, "files": {{"<name>/<file>": {{"sha256": ...}}}}}}); {fix}')
        return cls(path, files)

    def expected(self, key: str) -> str | None:
        entry = self.files.get(key)
        return entry["sha256"] if entry else None

    def record(self, key: str, sha256: str, size: int) -> None:
        if self.files.get(key) != {"sha256": sha256, "size": size}:
            self.files[key] = {"sha256": sha256, "size": size}
            self.changed = True

    def save(self) -> None:
        if self.changed:
            body = {"version": VERSION, "files": dict(sorted(self.files.items()))}
            atomic_write_text(self.path, json.dumps(body, indent=2) + "\n")
            self.changed = False
