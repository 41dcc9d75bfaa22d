"""LibriTTS: <subset>/<speaker>/<chapter>/<utt>.wav + <utt>.normalized.txt, speakers.tsv for gender."""
from __future__ import annotations

from pathlib import Path

from unison.data.corpora.common import file_duration, finish, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/speakers.tsv                 READER<TAB>GENDER<TAB>SUBSET<TAB>NAME (GENDER = M|F)
  ROOT/<subset>/<speaker>/<chapter>/<speaker>_<chapter>_<para>_<sent>.wav
                                    + the same name with .normalized.txt (the transcript)"""
GENDER = {"M": "male", "F": "female"}


def speaker_genders(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) >= 2 and not line.startswith(";") and parts[0] != "READER" and parts[1] in GENDER:
            out[parts[0]] = GENDER[parts[1]]
    return out


def libritts(root: str | Path, subsets: tuple[str, ...] | None = None) -> list[ManifestRow]:
    root = Path(root)
    require((root / "speakers.tsv").is_file(), "LibriTTS", root, "no speakers.tsv", LAYOUT)
    genders = speaker_genders(root / "speakers.tsv")
    texts = sorted(root.glob("*/*/*/*.normalized.txt"))
    if subsets is not None:
        texts = [t for t in texts if t.relative_to(root).parts[0] in subsets]
    require(bool(texts), "LibriTTS", root, "no <subset>/<speaker>/<chapter>/*.normalized.txt", LAYOUT)
    report, rows = SkipReport(), []
    for txt in texts:
        utt = txt.name[: -len(".normalized.txt")]
        wav = txt.with_name(utt + ".wav")
        speaker = txt.relative_to(root).parts[1]
        if not wav.is_file():
            report.add("audio missing", utt)
            continue
        text = txt.read_text(encoding="utf-8").strip()
        dur = file_duration(wav)
        if not text or dur is None:
            report.add("empty transcript" if not text else "unreadable", utt)
            continue
        rows.append(ManifestRow(id=f"libritts/{utt}", path=str(wav), duration=dur, kind="speech", text=text,
                                language="en", speaker=f"libritts/{speaker}", gender=genders.get(speaker),
                                source="libritts"))
    return finish("LibriTTS", rows, report)
