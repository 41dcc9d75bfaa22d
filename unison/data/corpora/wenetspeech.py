"""WenetSpeech: WenetSpeech.json describes long recordings ("audios": aid, path, duration) each cut
into transcribed segments (sid, begin_time, end_time, text, subsets); rows are segments."""
from __future__ import annotations

import json
from pathlib import Path

from unison.data.corpora.common import finish, require
from unison.data.manifests import ManifestRow, SkipReport

LAYOUT = """  ROOT/WenetSpeech.json   {"audios": [{"aid", "path": "audio/.../<aid>.opus", "duration",
                            "segments": [{"sid", "begin_time", "end_time", "text", "subsets": ["{L}", ...]}]}]}
  ROOT/audio/...          the long recordings at the paths named in the JSON"""


def wenetspeech(root: str | Path, subsets: tuple[str, ...] = ("L",)) -> list[ManifestRow]:
    """Segments of the given training subsets (L contains M and S). WenetSpeech has no speaker
    or gender labels, so both stay unknown."""
    root = Path(root)
    meta = root / "WenetSpeech.json"
    require(meta.is_file(), "WenetSpeech", root, "no WenetSpeech.json", LAYOUT)
    try:
        audios = json.loads(meta.read_text(encoding="utf-8"))["audios"]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"WenetSpeech: {meta} has no 'audios' list ({exc})") from exc
    wanted = set(subsets)
    report, rows = SkipReport(), []
    for a in audios:
        path = root / a["path"]
        if not path.is_file():
            report.add("audio missing", a["aid"])
            continue
        for seg in a.get("segments", []):
            tags = {s.strip("{}") for s in seg.get("subsets", [])}
            if not tags & wanted:
                continue
            begin, end, text = float(seg["begin_time"]), float(seg["end_time"]), seg.get("text", "").strip()
            if not text or end <= begin:
                report.add("empty or bad segment", seg.get("sid", "?"))
                continue
            rows.append(ManifestRow(id=f"wenetspeech/{seg['sid']}", path=str(path), duration=end - begin,
                                    kind="speech", text=text, language="zh", offset=begin, end=end,
                                    source="wenetspeech"))
    return finish("WenetSpeech", rows, report)
