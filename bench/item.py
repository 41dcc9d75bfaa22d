"""One test-set item: the unit that systems generate for and per-item metrics score."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from unison.core.signal import seconds_to_samples


@dataclass(frozen=True)
class Item:
    """A row of a test-set manifest (JSONL). Audio paths are relative to the test-set root.

    task: one of unison.tasks' task names (t2a, tts, zs_tts, t2as, edit_add, edit_remove, ...).
    target: ground truth or pseudo-GT audio (what the reference oracle returns), if any.
    source: the scene to edit (editing tasks); reference: the speaker prompt (zero-shot TTS).
    text: the words that should be spoken (for WER/CER); lang: "en" | "zh" | None.
    caption: what the audio should contain (for CLAP / event presence).
    segments: for timed composition, [{"start": s, "end": e, "caption": ...}, ...].
    """

    id: str
    task: str
    instruction: str
    seconds: float
    seed: int
    target: str | None = None
    source: str | None = None
    reference: str | None = None
    text: str | None = None
    lang: str | None = None
    caption: str | None = None
    gender: str | None = None
    subset: str | None = None  # sub-task / split used for per-subset rows (e.g. "add", "remove")
    segments: tuple[dict[str, Any], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def samples(self, sample_rate: int) -> int:
        """The item's length in samples at ``sample_rate`` (what a system's output is cut or padded to)."""
        if not self.seconds or self.seconds <= 0:
            raise ValueError(f"item {self.id!r}: length must be > 0 seconds, got {self.seconds!r}")
        return seconds_to_samples(self.seconds, sample_rate)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["segments"] = list(self.segments)
        return {k: v for k, v in d.items() if v not in (None, {}, [])}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Item":
        d = dict(d)
        d["segments"] = tuple(d.get("segments", ()))
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"manifest row {d.get('id')!r} has unknown fields {sorted(unknown)}")
        return cls(**d)
