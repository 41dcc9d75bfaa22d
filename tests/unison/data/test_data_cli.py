import pytest

from unison.cli import main


def test_data_manifest_and_check(tmp_path, tone, capsys):
    (tmp_path / "vggsound.csv").write_text("abc,30,dog barking,train\nxyz,0,silence,train\n")
    tone(tmp_path / "audio" / "abc_000030.wav")
    tone(tmp_path / "audio" / "xyz_000000.wav", amp=0.0)
    out = tmp_path / "m.jsonl"
    assert main(["data", "manifest", "vggsound", str(tmp_path), "--out", str(out)]) == 0
    assert "2 rows" in capsys.readouterr().out
    assert main(["data", "check", str(out)]) == 0
    assert "1 usable rows, 1 skipped (silent: 1" in capsys.readouterr().out
    assert main(["data", "check", str(out), "--sample-rate", "22050"]) == 2  # every file at 16 kHz
    assert "no usable rows" in capsys.readouterr().err


def test_data_manifest_wrong_layout(tmp_path, capsys):
    assert main(["data", "manifest", "libritts", str(tmp_path), "--out", str(tmp_path / "m.jsonl")]) == 2
    assert "Expected layout" in capsys.readouterr().err


@pytest.mark.bad_input
def test_data_check_escape_nan_and_data_root(tmp_path, tone, capsys, monkeypatch):
    import numpy as np
    import soundfile as sf

    from unison.data.manifests import ManifestRow, write_manifest

    monkeypatch.delenv("UNISON_DATA_ROOT", raising=False)
    data = tmp_path / "data"
    tone(data / "a.wav")
    sf.write(data / "nan.wav", np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT")
    rows = [ManifestRow("a", "../data/a.wav", 1.0, "sound", "a tone"),
            ManifestRow("n", str(data / "nan.wav"), 1.0, "sound", "broken")]
    m = write_manifest(tmp_path / "manifests" / "m.jsonl", rows)
    assert main(["data", "check", str(m)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len([x for x in err.splitlines() if x.startswith("error:")]) == 1
    assert "line 1 (row 'a') field 'path': '../data/a.wav'" in err and "--data-root DIR" in err
    assert main(["data", "check", str(m), "--data-root", str(data)]) == 0
    assert "1 usable rows, 1 skipped (NaN/inf samples: 1 (e.g. n))" in capsys.readouterr().out


@pytest.mark.bad_input
def test_data_manifest_outside_the_dataset_says_how_to_read_it(tmp_path, tone, capsys, monkeypatch):
    monkeypatch.delenv("UNISON_DATA_ROOT", raising=False)
    ds = tmp_path / "vgg"
    (ds / "audio").mkdir(parents=True)
    (ds / "vggsound.csv").write_text("abc,30,dog barking,train\n")
    tone(ds / "audio" / "abc_000030.wav")
    out = tmp_path / "manifests" / "m.jsonl"
    assert main(["data", "manifest", "vggsound", str(ds), "--out", str(out)]) == 0
    assert f"--data-root DIR or set UNISON_DATA_ROOT=DIR (several joined by ':') with DIR={ds}" in \
        capsys.readouterr().out
    assert main(["data", "check", str(out)]) == 2
    assert main(["data", "check", str(out), "--data-root", str(ds)]) == 0
    inside = ds / "m.jsonl"  # written inside the dataset: relative paths, nothing to allow
    assert main(["data", "manifest", "vggsound", str(ds), "--out", str(inside)]) == 0
    assert '"path": "audio/abc_000030.wav"' in inside.read_text() and main(["data", "check", str(inside)]) == 0
