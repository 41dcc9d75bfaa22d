import logging

import pytest

from unison.data.manifests import (ManifestError, ManifestRow, ValidationRules, load_manifest, read_rows,
                                   write_manifest)


def row(i, path, **kw):
    d = dict(id=f"r{i}", path=str(path), duration=1.0, kind="sound", text="a dog barks", language="en")
    d.update(kw)
    return ManifestRow(**d)


def test_roundtrip_is_exact_and_relative_paths_resolve(tmp_path, tone):
    tone(tmp_path / "a" / "x.wav")
    rows = [row(0, "a/x.wav", captions={"zh": "狗叫"}),
            row(1, "a/x.wav", kind="speech", text="hello", speaker="s1", gender="female", offset=0.1, end=0.9,
                duration=0.8)]
    m = write_manifest(tmp_path / "m.jsonl", rows)
    assert read_rows(m) == rows
    loaded = load_manifest(m)
    assert loaded.rows == rows and loaded.path_of(rows[0]) == tmp_path / "a" / "x.wav"
    assert rows[0].text_in("zh") == "狗叫" and rows[0].text_in("fr") is None
    assert not list(tmp_path.glob(".m.jsonl.*"))  # no temp file left behind


def test_bad_rows_are_skipped_with_counted_reasons(tmp_path, tone, caplog):
    tone(tmp_path / "ok.wav")
    tone(tmp_path / "silent.wav", amp=0.0)
    tone(tmp_path / "short.wav", seconds=0.1)
    tone(tmp_path / "sr22.wav", sr=22050)
    (tmp_path / "junk.wav").write_bytes(b"not audio at all")
    rows = [row(0, "ok.wav"), row(1, "missing.wav"), row(2, "silent.wav"), row(3, "short.wav", duration=0.1),
            row(4, "sr22.wav"), row(5, "junk.wav"), row(6, "ok.wav", offset=2.0, end=3.0)]
    m = write_manifest(tmp_path / "m.jsonl", rows)
    with open(m, "a") as f:
        f.write("{not json\n")
        f.write('{"id": "x", "path": "ok.wav", "duration": -1, "kind": "sound", "text": "t"}\n')
    with caplog.at_level(logging.WARNING):
        loaded = load_manifest(m, ValidationRules(sample_rate=16000))
    assert [r.id for r in loaded.rows] == ["r0"]
    c = loaded.skipped.counts
    assert c["file missing"] == 1 and c["silent"] == 1 and c["too short"] == 1 and c["unreadable"] == 1
    assert c["sample rate 22050 != 16000"] == 1 and c["segment beyond end of file"] == 1 and c["malformed"] == 2
    assert "skipped 8 of" in caplog.text
    # without a demanded rate the 22.05 kHz file is fine (it is resampled on load)
    assert {r.id for r in load_manifest(m).rows} == {"r0", "r4"}


def test_no_usable_rows_is_a_clear_error(tmp_path):
    m = write_manifest(tmp_path / "m.jsonl", [row(0, "nope.wav")])
    with pytest.raises(ManifestError, match="no usable rows.*file missing"):
        load_manifest(m)
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path / "absent.jsonl")


def test_row_checks_fields():
    with pytest.raises(ValueError, match="kind"):
        row(0, "x.wav", kind="music")
    with pytest.raises(ValueError, match="gender"):
        row(0, "x.wav", gender="M")
    with pytest.raises(ValueError, match="empty text"):
        row(0, "x.wav", text=" ")
