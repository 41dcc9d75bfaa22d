"""Dataset adapters: turn a published dataset's folder layout into manifest rows, and the offline
mini corpus. Each adapter raises LayoutError (naming the expected layout) for a folder that does
not match, and skips entries whose audio is absent with a counted reason."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from unison.data.corpora.audiocaps import audiocaps
from unison.data.corpora.audioset import audioset
from unison.data.corpora.common import LayoutError
from unison.data.corpora.emilia import emilia
from unison.data.corpora.libritts import libritts
from unison.data.corpora.vggsound import vggsound
from unison.data.corpora.wavcaps import wavcaps
from unison.data.corpora.wenetspeech import wenetspeech
from unison.data.manifests import ManifestError, ManifestRow, write_manifest

ADAPTERS: dict[str, Callable[..., list[ManifestRow]]] = {
    "audiocaps": audiocaps, "wavcaps": wavcaps, "audioset": audioset, "vggsound": vggsound,
    "libritts": libritts, "wenetspeech": wenetspeech, "emilia": emilia,
}

__all__ = ["ADAPTERS", "LayoutError", "build_manifest"]


def build_manifest(corpus: str, root: str | Path, out: str | Path, **options) -> Path:
    """Run one adapter over ``root`` and write its rows to ``out`` (JSONL, atomic). Paths inside the
    manifest's folder are written relative to it (the pair can move together), others absolute."""
    if corpus not in ADAPTERS:
        raise ValueError(f"unknown corpus {corpus!r}; choose one of {', '.join(ADAPTERS)}")
    rows = ADAPTERS[corpus](Path(root).resolve(), **options)  # absolute paths, whatever the working directory
    if not rows:
        raise ManifestError(f"{corpus}: no usable entries under {root} (see the warnings above)")
    folder = Path(out).parent.resolve()
    return write_manifest(out, [replace(r, path=Path(r.path).relative_to(folder).as_posix())
                                if Path(r.path).is_relative_to(folder) else r for r in rows])
