"""Real recorded sound effects from Debian's tuxpaint-stamps-default, captioned with the stamps'
own English and Simplified-Chinese labels (each stamp's .txt file)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TUXPAINT_STAMPS = Path("/usr/share/tuxpaint/stamps")
# Spoken letters, digits and symbols are not sound effects.
EXCLUDED_CATEGORIES = ("symbols",)


@dataclass(frozen=True)
class SoundClip:
    id: str  # stable: "<category>/<name>"
    path: Path
    caption_en: str
    caption_zh: str | None
    category: str
    licence: str = "GPL-2+ (tuxpaint-stamps-default)"


def _labels(txt: Path) -> tuple[str, str | None]:
    """First line is the English label; ``zh_CN.utf8=`` holds the Simplified-Chinese one."""
    lines = txt.read_text(encoding="utf-8", errors="replace").splitlines()
    en = _clean(lines[0]) if lines else ""
    zh = None
    for line in lines[1:]:
        if line.startswith("zh_CN.utf8="):
            zh = _clean(line.split("=", 1)[1]) or None
    return en, zh


def _clean(label: str) -> str:
    label = label.strip().rstrip(".|。").strip()
    return re.sub(r"\s+", " ", label)


def tuxpaint_sounds(root: Path = TUXPAINT_STAMPS) -> list[SoundClip]:
    """All stamp sounds (``<name>.ogg`` beside ``<name>.txt``), sorted by id. Raises if the package
    is missing, naming how to install it."""
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root} not found: the offline sound library comes from Debian's tuxpaint-stamps-default "
            "(apt-get install tuxpaint-stamps-default; `make setup` does it)"
        )
    clips = []
    for ogg in sorted(root.rglob("*.ogg")):
        rel = ogg.relative_to(root)
        if "_desc" in ogg.stem or rel.parts[0] in EXCLUDED_CATEGORIES:
            continue
        txt = ogg.with_suffix(".txt")
        if not txt.is_file():
            continue  # a localized pronunciation, not a sound effect
        en, zh = _labels(txt)
        if not en:
            continue
        category = "/".join(rel.parts[:-1])
        clips.append(SoundClip(id=f"{category}/{ogg.stem}", path=ogg, caption_en=en, caption_zh=zh, category=category))
    return clips
