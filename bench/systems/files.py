"""files: score audio a model made elsewhere, read from a folder (``--system files:DIR``).

Arguments (``--system-arg key=value``):

- ``name``: the label of the results (tables, leaderboards, report, the run folder); default: as asked
  for (``files:DIR``).
- ``layout``: how files are named (bench.layouts): ``ids`` (default, ``<item id>.<ext>``), ``seedtts``
  (``<lang>/<utt>.<ext>`` as seed-tts-eval evaluates them), ``audiocaps`` (``<youtube_id>.<ext>`` or
  ``<audiocap_id>.<ext>``). Matching rules: bench.systems.folder_match.
- ``fit``: ``none`` (default: the audio is scored as the model made it; a length other than the item's
  is recorded, and the suite's duration check fails items beyond its tolerance) or ``pad-crop``
  (zero-pad or crop at the end to the item's duration, as the built-in adapters do).
- ``tasks``: comma-separated tasks the folder holds outputs for (default: all); other items fail with
  "does not support task".
- ``{seed}`` in DIR: one folder per run seed (``--seeds 0,1,2`` reads DIR with 0, 1, 2 put in). Without
  it every seed reads the same folder, so every seed's numbers are identical.

Reading: libsndfile (via soundfile) decodes WAV, FLAC, OGG and MP3 from the exact bytes that were
hashed; several channels are averaged to mono (mean); a rate other than the item's test-set audio's is
resampled to it with soxr (quality HQ). Each item's file path and sha256 are part of its generation
key, so a changed file is read and scored again while unchanged ones are reused; results.json's
``provenance`` holds the folder, its content hash, every file used with its facts, and the files
missing, unmatched or left over.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from bench.item import Item
from bench.layouts import LAYOUTS, get_layout
from bench.systems.base import Generated, ItemError, System, SystemInputError
from bench.systems.folder_match import FileFacts, FolderMatch, match_folder, unreadable
from unison.core.audio import RESAMPLER, RESAMPLER_QUALITY
from unison.core.files import sha256_bytes
from unison.core.signal import fit_length

FITS = {"none": "none: scored as made (length differences recorded; the suite's duration check applies)",
        "pad-crop": "zero-pad or crop at the end to item.seconds"}
SEED_FIELD = "{seed}"
MAX_LISTED = 10  # names listed in a note line (results keep the full lists)


def _listing(names: list[str]) -> str:
    return ", ".join(names[:MAX_LISTED]) + (f", ... ({len(names) - MAX_LISTED} more)" if len(names) > MAX_LISTED else "")


class FilesSystem(System):
    name = "files"
    batch_size = 16

    def __init__(self, folder: str | None = None, name: str | None = None, layout: str = "ids", fit: str = "none",
                 tasks: str | None = None):
        if not folder:
            raise SystemInputError("the files system needs the folder of your model's audio: --system files:DIR "
                                   "(or --system-arg folder=DIR)")
        if layout not in LAYOUTS:
            raise SystemInputError(f"files: unknown layout {layout!r}; --system-arg layout= takes {', '.join(LAYOUTS)}")
        if fit not in FITS:
            raise SystemInputError(f"files: unknown fit {fit!r}; --system-arg fit= takes {', '.join(FITS)}")
        if name is not None and not name.strip():
            raise SystemInputError("files: --system-arg name= needs a label, e.g. name=MyModel")
        self.folder_arg = str(folder)
        self.label = name.strip() if name else None
        self.layout = get_layout(layout)
        self.fit = fit
        self.tasks = tuple(t.strip() for t in tasks.split(",") if t.strip()) if tasks else ()
        self.seed = 0
        self.match: FolderMatch | None = None
        self.rates: dict[str, int | None] = {}
        self.seconds: dict[str, float] = {}
        if SEED_FIELD not in self.folder_arg and not Path(self.folder_arg).expanduser().is_dir():
            what = "is not a folder" if Path(self.folder_arg).expanduser().exists() else "does not exist"
            raise SystemInputError(f"outputs folder {self.folder_arg} {what}; give the folder holding your model's "
                                   "audio (--system files:DIR)")

    # -- the run
    def configure(self, generation: Any = None, seed: int = 0, suite: str = "", **_: Any) -> None:
        self.seed = int(seed)

    def folder(self) -> Path:
        """This run's folder: DIR, with the run seed put in for ``{seed}``."""
        return Path(self.folder_arg.replace(SEED_FIELD, str(self.seed))).expanduser().resolve()

    def prepare(self, items: list[Item], testset: Any) -> None:
        serves = {it.id for it in testset.items if self.supports(it.task)}
        if not any(it.id in serves for it in items):
            raise SystemInputError(f"files: tasks={','.join(self.tasks)} matches none of this run's items (their tasks: "
                                   f"{', '.join(sorted({it.task for it in items}))}); fix --system-arg tasks=")
        self.match = match_folder(self.folder(), self.layout, items, testset.items, serves)
        default_rate = (testset.info.get("params") or {}).get("sample_rate")
        self.rates = {it.id: _item_rate(it, testset, default_rate) for it in items}
        self.seconds = {it.id: float(it.seconds) for it in items}

    def _matched(self) -> FolderMatch:
        if self.match is None:
            raise RuntimeError("files: prepare(items, testset) must run before generate (bench.run does it)")
        return self.match

    def item_signature(self, item: Item) -> dict[str, Any]:
        facts = self._matched().used.get(item.id)
        return {"file": facts.rel, "sha256": facts.sha256} if facts else {"file": None}

    def signature(self) -> dict[str, Any]:
        import soundfile as sf
        import soxr

        return {"system": "files", "version": "1", "layout": self.layout.name, "fit": FITS[self.fit],
                "tasks": list(self.tasks) or "all",
                "decoder": f"libsndfile {sf.__libsndfile_version__} via soundfile {sf.__version__}",
                "downmix": "mean over channels",
                "resampler": f"{RESAMPLER} {soxr.__version__} quality {RESAMPLER_QUALITY}, to the sample rate of the "
                             "item's test-set audio",
                "per_item": "each item's file (relative path) and its sha256 are part of its generation key"}

    def generate(self, items: list[Item], root: Path) -> Iterator[Generated]:
        match = self._matched()
        for it in items:
            if it.id in match.missing:
                raise ItemError(match.missing[it.id])
            if it.id not in match.used:
                raise ItemError(f"missing: item {it.id} was not part of the run {match.folder} was matched against")
            yield self.read(it, match.used[it.id])

    def read(self, item: Item, facts: FileFacts) -> Generated:
        import soundfile as sf
        import soxr

        path = self._matched().folder / facts.rel
        data = path.read_bytes()  # decoded from exactly the bytes that are hashed
        if sha256_bytes(data) != facts.sha256:
            raise ItemError(f"changed: {path} changed while the run read its folder; rerun to score the new file")
        if facts.error:
            raise ItemError(facts.error)
        try:
            wave, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        except Exception as e:  # noqa: BLE001 - libsndfile raises several types
            raise ItemError(unreadable(path, e)) from e
        if wave.shape[0] == 0:
            raise ItemError(f"empty: {path} holds no samples")
        mono = wave[:, 0].copy() if wave.shape[1] == 1 else wave.mean(axis=1, dtype=np.float64).astype(np.float32)
        rate = self.rates.get(item.id) or int(sr)
        if int(sr) != rate:
            mono = soxr.resample(mono, int(sr), rate, quality=RESAMPLER_QUALITY).astype(np.float32)
        if self.fit == "pad-crop":
            mono = fit_length(mono, item.samples(rate))
        return Generated(np.ascontiguousarray(mono, dtype=np.float32), rate, info=self.facts(item.id, facts))

    # -- what results.json records
    def facts(self, item_id: str, f: FileFacts) -> dict[str, Any]:
        """The per-item record: file, sha256, what it holds, and what reading it changed."""
        out: dict[str, Any] = {"file": f.rel, "sha256": f.sha256, "bytes": f.size}
        if f.error:
            return {**out, "error": f.error}
        out.update(sample_rate=f.sample_rate, channels=f.channels, seconds=round(f.seconds or 0.0, 6))
        rate = self.rates.get(item_id)
        if rate and rate != f.sample_rate:
            out["resampled"] = f"{f.sample_rate} -> {rate} Hz ({RESAMPLER} {RESAMPLER_QUALITY})"
        if (f.channels or 1) > 1:
            out["downmix"] = f"mean of {f.channels} channels"
        delta = (f.seconds or 0.0) - self.seconds.get(item_id, 0.0)
        if abs(delta) >= 1e-3:
            out["length_delta_s"] = round(delta, 4)  # file minus item duration, before any fit
        return out

    def provenance(self) -> dict[str, Any]:
        m = self._matched()
        items = {i: self.facts(i, f) for i, f in sorted(m.used.items())}
        return {"folder": str(m.folder), "layout": m.layout, "folder_sha256": m.sha256, "n_files_used": len(m.used),
                "items": items, "missing": dict(sorted(m.missing.items())), "unmatched": m.unmatched,
                "other_files": m.other, "outside_run": m.outside_run, "notes": self.notes(items)}

    def notes(self, items: dict[str, dict[str, Any]]) -> list[str]:
        m = self._matched()
        n_run = len(m.used) + len(m.missing)
        lines = [f"{len(m.used)} of {n_run} items have a file in {m.folder} (layout {m.layout}, folder sha256 "
                 f"{m.sha256[:16]})"]
        if m.missing:
            lines.append(f"{len(m.missing)} item(s) without a usable file: {_listing(sorted(m.missing))}")
        if m.unmatched:
            lines.append(f"{len(m.unmatched)} audio file(s) match no item: {_listing(m.unmatched)}")
        if m.other:
            lines.append(f"{len(m.other)} non-audio file(s) ignored: {_listing(m.other)}")
        if m.outside_run:
            lines.append(f"{len(m.outside_run)} file(s) are for items this run leaves out (--limit, tasks=)")
        unreadable = sorted(i for i, f in items.items() if "error" in f)
        if unreadable:
            lines.append(f"{len(unreadable)} file(s) cannot be read: {_listing(unreadable)}")
        resampled = sorted({f["resampled"] for f in items.values() if "resampled" in f})
        if resampled:
            n = sum("resampled" in f for f in items.values())
            lines.append(f"{n} file(s) resampled: {'; '.join(resampled)}")
        downmixed = sum("downmix" in f for f in items.values())
        if downmixed:
            lines.append(f"{downmixed} multi-channel file(s) down-mixed to mono (mean of the channels)")
        deltas = [abs(f["length_delta_s"]) for f in items.values() if "length_delta_s" in f]
        if deltas:
            how = ("kept as made; the suite's duration check fails those beyond its tolerance "
                   "(--system-arg fit=pad-crop zero-pads / crops at the end)") if self.fit == "none" else \
                "zero-padded / cropped at the end to the item's duration (fit=pad-crop)"
            lines.append(f"{len(deltas)} file(s) differ in length from their item (largest |difference| "
                         f"{max(deltas):.3f} s): {how}")
        if self.seed != 0 and SEED_FIELD not in self.folder_arg:
            lines.append(f"seed {self.seed} read the same folder as every seed (no {SEED_FIELD} in its path), so its "
                         "numbers equal the other seeds'")
        return lines


def _item_rate(item: Item, testset: Any, default: Any) -> int | None:
    """The sample rate of the item's own test-set audio (target, else source, else reference), else
    the test set's ``sample_rate`` param, else None (the file's rate is kept)."""
    import soundfile as sf

    for role in ("target", "source", "reference"):
        rel = getattr(item, role)
        if rel is not None:
            return int(sf.info(str(testset.path(rel))).samplerate)
    return int(default) if isinstance(default, int) and default > 0 else None

