"""Validation: is each generated file usable? Every item gets a status, and a failed one its reason."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.item import Item
from bench.run.errors import one_line
from bench.run.generate import GenerationStore
from bench.spec import ValidationSettings


@dataclass
class ItemStatus:
    status: str = "ok"
    error: str | None = None

    def fail(self, reason: str) -> None:
        if self.status == "ok":
            self.status, self.error = "failed", reason


def validate_generated(path: Path, item: Item, vs: ValidationSettings) -> str | None:
    """None if the file is usable, else the reason (recorded in the item's row)."""
    if not path.is_file():
        return "missing: no generated file"
    if path.stat().st_size == 0:
        return "empty: 0-byte file"
    try:
        wave, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001 - any decoder error means unreadable
        return f"unreadable: {one_line(e)}"
    if wave.shape[0] == 0:
        return "empty: 0 samples"
    if not np.all(np.isfinite(wave)):
        return "non-finite: NaN/inf samples"
    if float(np.max(np.abs(wave))) <= vs.silence_threshold:
        return f"all-silent: peak |x| <= {vs.silence_threshold:g}"
    if vs.sample_rate is not None and sr != vs.sample_rate:
        return f"wrong sample rate: {sr} Hz, expected {vs.sample_rate} Hz"
    dur = wave.shape[0] / sr
    if item.seconds and abs(dur - item.seconds) > vs.duration_tolerance:
        return f"wrong duration: {dur:.3f} s, expected {item.seconds:g} s +/- {vs.duration_tolerance:g} s"
    return None


def item_statuses(items: list[Item], gen_errors: dict[str, str], store: GenerationStore, sigs: dict[str, str],
                  vs: ValidationSettings) -> dict[str, ItemStatus]:
    """Item id -> status: its generation error, else what validation finds in its file."""
    statuses: dict[str, ItemStatus] = {}
    for it in items:
        st = ItemStatus()
        if it.id in gen_errors:
            st.fail(gen_errors[it.id])
        else:
            reason = validate_generated(store.wav(it.id), it, vs)
            if reason is None and not store.done(it.id, sigs[it.id]):
                reason = "missing: generated file is stale (signature mismatch)"
            if reason is not None:
                st.fail(reason)
        statuses[it.id] = st
    return statuses
