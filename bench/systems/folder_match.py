"""Match the files of an outputs folder to a run's items, through a layout (bench.layouts).

Rules (the ``files`` system's, documented in README "Score your own model's audio"):

- Every file under the folder is looked at (hidden files and folders skipped). An audio file is one
  ending in .wav, .flac, .ogg or .mp3 (any case); its name without that extension, relative to the
  folder, is its *stem* (``en/utt1`` for ``en/utt1.wav``).
- The layout gives every item of the whole test set its stems. A stem several items share goes to
  the served item of lowest layout rank (then id): a Seed-TTS meta.lst line's file is its zero-shot
  item's output.
- A run item with exactly one file uses it; with none it is *missing*; with several (``x.wav`` and
  ``x.flac``) it is *ambiguous*. Both fail only that item, with the reason.
- Audio files whose stem names no item are *unmatched*; files that are not audio are *other*; files
  of test-set items this run leaves out (``--limit``, ``tasks=``) are listed apart. All are recorded,
  nothing is renamed.
- The folder's content hash is sha256 over the sorted ``<relative path>\\0<file sha256>\\n`` lines of
  the files used.

An absent folder, a folder without audio files, or a layout that matches no item of the run is a
SystemInputError naming the folder and the names expected, raised before any audio is read.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from bench.item import Item
from bench.layouts import AUDIO_EXTENSIONS, LAYOUTS, Layout
from bench.systems.base import SystemInputError
from unison.core.files import sha256_file


@dataclass(frozen=True)
class FileFacts:
    """One used file, from its bytes and header (no decoding): what the results record per item."""

    rel: str
    sha256: str
    size: int
    sample_rate: int | None = None
    channels: int | None = None
    frames: int | None = None
    error: str | None = None  # "empty: ..." / "unreadable: ..." when the header cannot be read

    @property
    def seconds(self) -> float | None:
        return None if not self.sample_rate or self.frames is None else self.frames / self.sample_rate


@dataclass
class FolderMatch:
    folder: Path
    layout: str
    used: dict[str, FileFacts] = field(default_factory=dict)  # run item id -> its file
    missing: dict[str, str] = field(default_factory=dict)  # run item id -> reason (missing / ambiguous)
    unmatched: list[str] = field(default_factory=list)  # audio files whose stem names no item
    other: list[str] = field(default_factory=list)  # files that are not audio
    outside_run: list[str] = field(default_factory=list)  # files of test-set items this run leaves out

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for rel, digest in sorted((f.rel, f.sha256) for f in self.used.values()):
            h.update(f"{rel}\0{digest}\n".encode())
        return h.hexdigest()


def audio_stem(rel: str) -> str | None:
    """``en/utt1.WAV`` -> ``en/utt1``; None for a file that is not audio."""
    for ext in AUDIO_EXTENSIONS:
        if rel.lower().endswith(ext) and len(rel) > len(ext):
            return rel[: -len(ext)]
    return None


def scan(folder: Path) -> list[str]:
    """Relative POSIX paths of the files under ``folder`` (hidden ones skipped), sorted."""
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise SystemInputError(f"outputs folder {folder} {what}; give the folder holding your model's audio "
                               "(--system files:DIR)")
    out = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out.append(rel.as_posix())
    return sorted(out)


def file_facts(folder: Path, rel: str) -> FileFacts:
    import soundfile as sf

    path = folder / rel
    size = path.stat().st_size
    digest = sha256_file(path)
    if size == 0:
        return FileFacts(rel, digest, 0, error=f"empty: {path} is a 0-byte file")
    try:
        info = sf.info(str(path))
    except Exception as e:  # noqa: BLE001 - libsndfile raises several types; the item fails with the reason
        return FileFacts(rel, digest, size, error=unreadable(path, e))
    return FileFacts(rel, digest, size, int(info.samplerate), int(info.channels), int(info.frames))


def unreadable(path: Path, e: BaseException) -> str:
    """The reason an item's file cannot be decoded (naming MP3 support when that is the cause)."""
    import soundfile as sf

    reason = f"unreadable: {path}: {str(e).splitlines()[0][:300] if str(e) else type(e).__name__}"
    if path.suffix.lower() == ".mp3" and "MP3" not in sf.available_formats():
        reason += (f"; this libsndfile ({sf.__libsndfile_version__}) cannot decode MP3 (1.1.0 and later can): "
                   "upgrade soundfile / libsndfile or convert the file to WAV or FLAC")
    return reason


def looked_for(stems: list[str]) -> str:
    return ", ".join(f"{s}{ext}" for s in stems for ext in AUDIO_EXTENSIONS)


def examples(layout: Layout, items: list[Item], k: int = 3) -> str:
    stems = layout.stems(items)
    shown = [f"{stems[it.id][0]}.wav" for it in items if stems.get(it.id)][:k]
    return ", ".join(shown) + (", ..." if len(items) > k else "")


def match_folder(folder: Path, layout: Layout, run_items: list[Item], all_items: list[Item],
                 serves: set[str]) -> FolderMatch:
    """Match ``folder``'s files to ``run_items`` (``serves``: ids of the items the system serves;
    ``all_items``: the whole test set, which the layout names)."""
    files = scan(folder)
    audio = {rel: audio_stem(rel) for rel in files}
    m = FolderMatch(folder=folder, layout=layout.name, other=[r for r, s in audio.items() if s is None])
    if not any(s is not None for s in audio.values()):
        found = f" (it holds {len(files)} other file(s): {', '.join(files[:5])})" if files else " (it is empty)"
        raise SystemInputError(
            f"outputs folder {folder} holds no audio files ({', '.join(AUDIO_EXTENSIONS)}){found}; write one "
            f"file per item named {layout.summary}, e.g. {examples(layout, run_items)}")
    by_id = {it.id: it for it in all_items}
    stems = layout.stems(all_items)
    claims: dict[str, list[str]] = {}
    for item_id, item_stems in stems.items():
        for s in dict.fromkeys(item_stems):
            claims.setdefault(s, []).append(item_id)
    owner = {s: min(ids, key=lambda i: (i not in serves, layout.rank(by_id[i]), i)) for s, ids in claims.items()}
    files_of: dict[str, list[str]] = {}
    for rel, s in audio.items():
        if s is None:
            continue
        if s not in owner:
            m.unmatched.append(rel)
        else:
            files_of.setdefault(owner[s], []).append(rel)
    run_ids = {it.id for it in run_items if it.id in serves}
    for item_id, rels in files_of.items():
        if item_id not in run_ids:
            m.outside_run += rels
    for it in run_items:
        if it.id not in serves:
            continue
        mine = sorted(files_of.get(it.id, []))
        if len(mine) == 1:
            m.used[it.id] = file_facts(folder, mine[0])
        elif mine:
            m.missing[it.id] = f"ambiguous: {len(mine)} files for item {it.id} in {folder} ({', '.join(mine)}); keep one"
        else:
            own = stems.get(it.id, [])
            taken = [f"{s}.* is item {owner[s]}'s output in the {layout.name} layout" for s in own if owner.get(s) != it.id]
            if taken:
                why = "; ".join(taken) + (f"; score this item's outputs from another folder with --system-arg "
                                          f"tasks={it.task}")
            else:
                why = f"looked for {looked_for(own)}" if own else f"the {layout.name} layout has no name for it"
            m.missing[it.id] = f"missing: no file for item {it.id} in {folder} ({why})"
    if not m.used and not any(r.startswith("ambiguous") for r in m.missing.values()):
        audio_files = [r for r, s in audio.items() if s is not None]
        outside = f"; {len(m.outside_run)} of them are for items this run leaves out (--limit, tasks=)" if m.outside_run else ""
        raise SystemInputError(
            f"no file in {folder} matches any of the {len(run_ids)} items of this run in the {layout.name} layout "
            f"(expected {layout.summary}, e.g. {examples(layout, [it for it in run_items if it.id in serves])}); "
            f"found {len(audio_files)} audio file(s): {', '.join(audio_files[:5])}{', ...' if len(audio_files) > 5 else ''}"
            f"{outside}. Name the files so, or pass the layout they follow: --system-arg layout="
            f"{'|'.join(LAYOUTS)}")
    return m
