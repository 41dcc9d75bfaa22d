"""The ``files`` system on the toy suite (real audio, cheap extractors): matching, per-item reasons,
resampling / down-mix / length records, the folder hash and per-file cache keys, seeds, bad input."""
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

import bench_toys
from bench.cli import main
from bench.registry import create_system
from bench.run import RunOptions, run
from bench.spec import load_spec
from bench.testset import build_testset
from unison.core.files import sha256_file

IDS = [f"tone{k:03d}" for k in range(6)]


@pytest.fixture
def toys(monkeypatch, tmp_path):
    bench_toys.register(monkeypatch.setitem)
    suites = tmp_path / "suites"
    spec = load_spec(bench_toys.write_suite(suites))
    monkeypatch.setenv("UNISON_BENCH_SUITES", str(suites))
    monkeypatch.setenv("UNISON_BENCH_TESTSETS", str(tmp_path / "testsets"))
    monkeypatch.setenv("TOY_EXT_COUNTER", str(tmp_path / "ext.count"))
    return spec, build_testset(spec, "mini", tmp_path / "testsets")


def targets_folder(testset, folder: Path, ids=IDS) -> Path:
    """The oracle's outputs as a user would hand them in: <item id>.wav copies of the targets."""
    folder.mkdir(parents=True, exist_ok=True)
    for it in testset.items:
        if it.id in ids:
            shutil.copyfile(testset.path(it.target), folder / f"{it.id}.wav")
    return folder


def run_files(tmp_path, spec, folder, **args):
    system = create_system(f"files:{folder}", args)
    return run(RunOptions(suite=spec, system=system, system_name=f"files:{folder}", system_args=args,
                          out=tmp_path / "runs", testsets_dir=tmp_path / "testsets", progress=False))


def samples(report):
    rows = [json.loads(x) for x in (report.results_path.parent / "samples.jsonl").read_text().splitlines()]
    return {r["id"]: r for r in rows}


def ext_calls(tmp_path) -> list[str]:
    p = tmp_path / "ext.count"
    return p.read_text().splitlines() if p.exists() else []


def test_a_folder_of_the_targets_scores_exactly_like_the_oracle(tmp_path, toys):
    spec, ts = toys
    oracle = run(RunOptions(suite=spec, system=create_system("oracle"), system_name="oracle", out=tmp_path / "runs",
                            testsets_dir=tmp_path / "testsets", progress=False))
    folder = targets_folder(ts, tmp_path / "mine")
    rep = run_files(tmp_path, spec, folder, name="MyModel")
    assert rep.results_path == tmp_path / "runs" / "toy_tones" / "MyModel" / "0" / "results.json"  # the label
    res = rep.results
    assert res["system"]["name"] == "MyModel" and res["system"]["signature"]["system"] == "files"
    for key, cell in oracle.results["metrics"].items():
        assert res["metrics"][key]["value"] == cell["value"], key  # identical bytes -> identical numbers
    assert {i: r["scores"] for i, r in samples(rep).items()} == {i: r["scores"] for i, r in samples(oracle).items()}
    prov = res["provenance"]
    lines = "".join(f"{i}.wav\0{sha256_file(folder / f'{i}.wav')}\n" for i in IDS)
    assert prov["folder_sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    assert prov["folder"] == str(folder.resolve()) and prov["n_files_used"] == 6 and not prov["missing"]
    assert prov["items"]["tone000"] == {"file": "tone000.wav", "sha256": sha256_file(folder / "tone000.wav"),
                                        "bytes": (folder / "tone000.wav").stat().st_size, "sample_rate": 16000,
                                        "channels": 1, "seconds": 0.5}
    assert prov["notes"] == [f"6 of 6 items have a file in {folder.resolve()} (layout ids, folder sha256 "
                             f"{prov['folder_sha256'][:16]})"]


def test_partial_folder_gives_per_item_reasons_and_finishes(tmp_path, toys, capsys):
    """2 missing, 1 extra file, 1 stereo 44.1 kHz file, 1 empty file, 1 non-audio file: a finished run
    with results for the rest, every problem named per item and listed in the results."""
    spec, ts = toys
    folder = targets_folder(ts, tmp_path / "mine", ids=["tone000", "tone003", "tone005"])
    (folder / "tone001.wav").unlink(missing_ok=True)
    wave, sr = sf.read(folder / "tone003.wav", dtype="float64")
    up = soxr.resample(wave, sr, 44100, quality="VHQ")
    sf.write(folder / "tone003.wav", np.stack([up, up], axis=1), 44100, subtype="FLOAT")
    (folder / "tone004.wav").write_bytes(b"")
    shutil.copyfile(folder / "tone000.wav", folder / "extra.wav")
    (folder / "notes.txt").write_text("how I made these\n")
    assert main(["run", "toy_tones", "--system", f"files:{folder}", "--system-arg", "name=Partial", "--out",
                 str(tmp_path / "runs"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    run_dir = tmp_path / "runs" / "toy_tones" / "Partial" / "0"
    rows = {r["id"]: r for r in map(json.loads, (run_dir / "samples.jsonl").read_text().splitlines())}
    looked = ", ".join(f"tone001{e}" for e in (".wav", ".flac", ".ogg", ".mp3"))
    assert rows["tone001"]["error"] == f"missing: no file for item tone001 in {folder.resolve()} (looked for {looked})"
    assert rows["tone002"]["error"].startswith("missing: no file for item tone002")
    assert rows["tone004"]["error"] == f"empty: {folder.resolve() / 'tone004.wav'} is a 0-byte file"
    assert [i for i, r in rows.items() if r["status"] == "ok"] == ["tone000", "tone003", "tone005"]
    assert rows["tone003"]["scores"]["rmsdiff@toy"] < 1e-4  # 16k -> 44.1k -> 16k: the level survives
    res = json.loads((run_dir / "results.json").read_text())
    assert res["metrics"]["rmsdiff@toy"]["n"] == 6 and res["metrics"]["rmsdiff@toy"]["n_failed"] == 3
    prov = res["provenance"]
    assert prov["unmatched"] == ["extra.wav"] and prov["other_files"] == ["notes.txt"]
    assert sorted(prov["missing"]) == ["tone001", "tone002"]
    assert prov["items"]["tone003"]["sample_rate"] == 44100 and prov["items"]["tone003"]["channels"] == 2
    assert prov["items"]["tone003"]["resampled"] == "44100 -> 16000 Hz (soxr HQ)"
    assert prov["items"]["tone003"]["downmix"] == "mean of 2 channels"
    assert prov["items"]["tone004"]["error"].startswith("empty:")
    sidecar = json.loads((run_dir / "audio" / "tone003.json").read_text())
    assert sidecar["sample_rate"] == 16000 and sidecar["info"]["resampled"] == "44100 -> 16000 Hz (soxr HQ)"
    for needle in ("1 audio file(s) match no item: extra.wav", "2 item(s) without a usable file: tone001, tone002",
                   "1 non-audio file(s) ignored: notes.txt", "1 file(s) resampled: 44100 -> 16000 Hz (soxr HQ)",
                   "1 multi-channel file(s) down-mixed to mono (mean of the channels)"):
        assert needle in out
    assert main(["table", str(run_dir)]) == 0  # `table` shows the same notes
    assert "extra.wav" in capsys.readouterr().out


def test_length_is_recorded_and_left_to_validation_unless_fit(tmp_path, toys):
    spec, ts = toys
    folder = targets_folder(ts, tmp_path / "mine")
    wave, sr = sf.read(folder / "tone002.wav", dtype="float32")
    sf.write(folder / "tone002.wav", np.concatenate([wave, wave[:4800]]), sr)  # 0.3 s longer
    rows = samples(rep := run_files(tmp_path, spec, folder))
    assert rows["tone002"]["status"] == "failed" and rows["tone002"]["error"].startswith("wrong duration: 0.800 s")
    assert rep.results["provenance"]["items"]["tone002"]["length_delta_s"] == pytest.approx(0.3)
    assert any("1 file(s) differ in length from their item (largest |difference| 0.300 s): kept as made" in n
               for n in rep.results["provenance"]["notes"])
    rows = samples(run_files(tmp_path, spec, folder, name="fitted", fit="pad-crop"))
    assert rows["tone002"]["status"] == "ok" and rows["tone002"]["scores"]["rmsdiff@toy"] < 1e-6


def test_a_changed_file_is_read_and_scored_again_alone(tmp_path, toys):
    spec, ts = toys
    folder = targets_folder(ts, tmp_path / "mine")
    first = run_files(tmp_path, spec, folder, name="M")
    before = samples(first)  # the run folder is rewritten by the runs below
    assert first.generated == 6 and len(ext_calls(tmp_path)) == 12  # 6 outputs + 6 targets
    again = run_files(tmp_path, spec, folder, name="M")
    assert again.generated == 0 and len(ext_calls(tmp_path)) == 12  # an unchanged folder: all from cache
    assert again.results["metrics"]["rmsdiff@toy"]["value"] == first.results["metrics"]["rmsdiff@toy"]["value"]
    wave, sr = sf.read(folder / "tone004.wav", dtype="float32")
    sf.write(folder / "tone004.wav", 0.5 * wave, sr, subtype="PCM_16")
    changed = run_files(tmp_path, spec, folder, name="M")
    assert changed.generated == 1 and len(ext_calls(tmp_path)) == 13  # only tone004 re-read and re-extracted
    assert changed.results["provenance"]["folder_sha256"] != first.results["provenance"]["folder_sha256"]
    after = samples(changed)
    assert [i for i in IDS if before[i]["scores"] != after[i]["scores"]] == ["tone004"]


def test_formats_ambiguity_and_unreadable_files(tmp_path, toys):
    spec, ts = toys
    folder = targets_folder(ts, tmp_path / "mine", ids=["tone000"])
    for item_id, ext, fmt, sub in (("tone001", "flac", "FLAC", "PCM_16"), ("tone002", "ogg", "OGG", "VORBIS"),
                                   ("tone003", "MP3", "MP3", "MPEG_LAYER_III")):
        item = next(it for it in ts.items if it.id == item_id)
        wave, sr = sf.read(ts.path(item.target), dtype="float32")
        sf.write(folder / f"{item_id}.{ext}", wave, sr, format=fmt, subtype=sub)
    (folder / "tone004.wav").write_bytes(b"RIFF this is not audio")
    shutil.copyfile(folder / "tone000.wav", folder / "tone005.wav")
    shutil.copyfile(folder / "tone001.flac", folder / "tone005.flac")
    rows = samples(run_files(tmp_path, spec, folder))
    for item_id in ("tone000", "tone001", "tone002", "tone003"):  # wav, flac, ogg and mp3 all decode
        assert rows[item_id]["status"] == "ok", rows[item_id]
    assert rows["tone001"]["scores"]["rmsdiff@toy"] < 1e-6  # lossless
    assert rows["tone003"]["scores"]["rmsdiff@toy"] < 0.02  # lossy, still the same tone
    assert rows["tone004"]["error"].startswith(f"unreadable: {folder.resolve() / 'tone004.wav'}: ")
    assert rows["tone005"]["error"] == (f"ambiguous: 2 files for item tone005 in {folder.resolve()} "
                                        "(tone005.flac, tone005.wav); keep one")


def test_an_mp3_this_libsndfile_cannot_decode_says_so(tmp_path, toys, monkeypatch):
    """libsndfile decodes MP3 since 1.1.0 (here: see the test above); an older one must say so."""
    spec, ts = toys
    folder = targets_folder(ts, tmp_path / "mine", ids=["tone000"])
    item = ts.items[1]
    wave, sr = sf.read(ts.path(item.target), dtype="float32")
    sf.write(folder / f"{item.id}.mp3", wave, sr, format="MP3", subtype="MPEG_LAYER_III")
    real_info = sf.info
    monkeypatch.setattr(sf, "available_formats", lambda: {"WAV": "", "FLAC": "", "OGG": ""})
    monkeypatch.setattr(sf, "info", lambda p, *a, **k: (_ for _ in ()).throw(RuntimeError("Format not recognised."))
                        if str(p).endswith(".mp3") else real_info(p, *a, **k))
    rows = samples(run_files(tmp_path, spec, folder))
    assert rows["tone000"]["status"] == "ok"
    assert rows[item.id]["error"].startswith(f"unreadable: {folder.resolve() / (item.id + '.mp3')}: Format not recognised.")
    assert "cannot decode MP3 (1.1.0 and later can)" in rows[item.id]["error"]


def test_seed_placeholder_reads_one_folder_per_seed(tmp_path, toys, capsys):
    spec, ts = toys
    targets_folder(ts, tmp_path / "out-0")
    quiet = targets_folder(ts, tmp_path / "out-1")
    for p in quiet.glob("*.wav"):
        wave, sr = sf.read(p, dtype="float32")
        sf.write(p, 0.5 * wave, sr, subtype="PCM_16")
    common = ["--out", str(tmp_path / "runs"), "--no-progress", "--seeds", "0,1"]
    assert main(["run", "toy_tones", "--system", f"files:{tmp_path}/out-{{seed}}", "--system-arg", "name=perseed",
                 *common]) == 0
    seeds = json.loads((tmp_path / "runs" / "toy_tones" / "perseed" / "seeds.json").read_text())
    per = seeds["metrics"]["meanrms@toy"]["per_seed"]
    assert per["1"] == pytest.approx(per["0"] / 2, rel=1e-3)
    assert main(["run", "toy_tones", "--system", f"files:{tmp_path}/out-0", "--system-arg", "name=same", *common]) == 0
    seeds = json.loads((tmp_path / "runs" / "toy_tones" / "same" / "seeds.json").read_text())
    assert seeds["metrics"]["meanrms@toy"]["per_seed"]["0"] == seeds["metrics"]["meanrms@toy"]["per_seed"]["1"]
    assert seeds["metrics"]["meanrms@toy"]["std"] == 0.0
    assert "seed 1 read the same folder as every seed" in capsys.readouterr().out


@pytest.mark.bad_input
def test_bad_input_is_one_clear_error_before_any_work(tmp_path, toys, capsys):
    spec, ts = toys
    runs = tmp_path / "runs"
    empty = tmp_path / "empty"
    empty.mkdir()
    notes_only = tmp_path / "notes"
    notes_only.mkdir()
    (notes_only / "readme.txt").write_text("x")
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    shutil.copyfile(ts.path(ts.items[0].target), wrong / "take1.wav")
    cases = [
        (["run", "toy_tones", "--system", f"files:{tmp_path / 'nope'}"], [str(tmp_path / "nope"), "does not exist"]),
        (["run", "toy_tones", "--system", f"files:{empty}"],
         [str(empty), "holds no audio files", "(it is empty)", "tone000.wav"]),
        (["run", "toy_tones", "--system", f"files:{notes_only}"], [str(notes_only), "readme.txt", "tone000.wav"]),
        (["run", "toy_tones", "--system", f"files:{wrong}"],
         [f"no file in {wrong}", "matches any of the 6 items", "take1.wav", "tone000.wav", "--system-arg layout="]),
        (["run", "toy_tones", "--system", f"files:{wrong}", "--system-arg", "layout=yaml"],
         ["unknown layout 'yaml'", "ids, seedtts, audiocaps"]),
        (["run", "toy_tones", "--system", f"files:{wrong}", "--system-arg", "fit=stretch"], ["unknown fit 'stretch'"]),
        (["run", "toy_tones", "--system", f"files:{wrong}", "--system-arg", "tasks=tts"],
         ["tasks=tts matches none of this run's items", "t2a"]),
        (["run", "toy_tonez", "--system", f"files:{wrong}"], ["unknown suite 'toy_tonez'", "toy_tones"]),
        (["run", "toy_tones", "--system", "files"], ["needs the folder", "files:DIR"]),
    ]
    for argv, needles in cases:
        assert main([*argv, "--out", str(runs), "--no-progress"]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        for n in needles:
            assert n in err, (n, err)
    assert not list(runs.rglob("results.json")) and not list(runs.rglob("*.wav"))
