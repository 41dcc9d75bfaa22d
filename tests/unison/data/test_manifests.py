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
    assert c["sample rate 22050 != 16000"] == 1 and c["segment beyond end of file"] == 1
    assert c["malformed: not JSON"] == 1 and c["malformed: duration must be positive, got -1"] == 1
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


# ---- bad inputs: confinement, unknown keys, non-finite audio -------------------------------------

@pytest.fixture
def outside(tmp_path, tone):
    """A dataset folder beside (not inside) the manifest's folder, with one usable clip."""
    tone(tmp_path / "elsewhere" / "clip.wav")
    (tmp_path / "m").mkdir()
    return tmp_path / "elsewhere"


@pytest.mark.bad_input
@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_rows_escaping_the_manifest_folder_are_an_error_naming_row_field_and_rule(tmp_path, tone, outside, how,
                                                                                   monkeypatch):
    monkeypatch.delenv("UNISON_DATA_ROOT", raising=False)
    tone(tmp_path / "m" / "ok.wav")
    if how == "symlink":
        (tmp_path / "m" / "link.wav").symlink_to(outside / "clip.wav")
    path = {"dotdot": "../elsewhere/clip.wav", "absolute": str(outside / "clip.wav"), "symlink": "link.wav"}[how]
    m = write_manifest(tmp_path / "m" / "m.jsonl", [row(0, "ok.wav"), row(1, path), row(2, path)])
    with pytest.raises(ManifestError) as e:
        load_manifest(m)
    msg = str(e.value)
    assert f"{m} line 2 (row 'r1') field 'path': {path!r} resolves to {(outside / 'clip.wav').resolve()}" in msg
    assert "outside" in msg and "own folder or an allowed data root" in msg
    assert "--data-root DIR or set UNISON_DATA_ROOT=DIR" in msg and "(1 more rows escape" in msg
    # allowed explicitly: an option's roots, or the environment variable
    assert [r.id for r in load_manifest(m, roots=[outside]).rows] == ["r0", "r1", "r2"]
    monkeypatch.setenv("UNISON_DATA_ROOT", f"/nonexistent:{outside}")
    assert len(read_rows(m)) == 3


@pytest.mark.bad_input
def test_unknown_key_is_named_with_the_known_ones(tmp_path, tone):
    tone(tmp_path / "ok.wav")
    m = tmp_path / "m.jsonl"
    m.write_text('{"id": "a", "path": "ok.wav", "duration": 1.0, "kind": "sound", "text": "t", "caption": "x"}\n'
                 '{"id": "b", "path": "ok.wav", "duration": 1.0, "kind": "sound"}\n')
    with pytest.raises(ManifestError) as e:
        load_manifest(m)
    msg = str(e.value)
    assert "malformed: unknown key 'caption' (known keys: id, path, duration, kind, text" in msg and "line 1" in msg
    assert "malformed: missing key 'text'" in msg and "line 2" in msg
    assert "check the audio paths" not in msg  # the paths are fine: the keys are the problem


@pytest.mark.bad_input
def test_non_finite_audio_is_unusable(tmp_path, tone):
    import numpy as np
    import soundfile as sf

    tone(tmp_path / "ok.wav")
    wave = np.full(16000, 0.1, np.float32)
    wave[8000] = np.nan
    sf.write(tmp_path / "nan.wav", wave, 16000, subtype="FLOAT")
    sf.write(tmp_path / "inf.wav", np.full(16000, np.inf, np.float32), 16000, subtype="FLOAT")
    m = write_manifest(tmp_path / "m.jsonl", [row(0, "ok.wav"), row(1, "nan.wav"), row(2, "inf.wav")])
    loaded = load_manifest(m)
    assert [r.id for r in loaded.rows] == ["r0"] and loaded.skipped.counts["NaN/inf samples"] == 2


def test_held_out_is_the_stable_crc32_rule():
    import zlib

    from unison.data.manifests import held_out

    ids = [f"clip{i}" for i in range(200)]
    assert [held_out(i, 20) for i in ids] == [zlib.crc32(i.encode()) % 20 == 0 for i in ids]
    assert 0 < sum(held_out(i, 20) for i in ids) < 40
    assert not any(held_out(i, 0) for i in ids)
