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
