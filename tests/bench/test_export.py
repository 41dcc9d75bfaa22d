"""`unison-bench export` on the real mini suites, and folders in the outside layouts (Seed-TTS eval's
meta.lst folders, AudioCaps ids) scored by the files system without renaming anything. Scoring uses
LSD (a waveform metric: cheap, and exactly 0-ish for a copy of the target)."""
import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.cli import main
from bench.registry import load_suite
from bench.testset import build_testset
from unison.core.files import sha256_file
from suites._paper_data import AUDIOCAPS_ENV, parse_meta_lst

LSD = "lsd@ssr-eval"


@pytest.fixture(scope="module")
def testsets(tmp_path_factory):
    return tmp_path_factory.mktemp("testsets")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def export(suite, dest, testsets, *extra) -> int:
    return main(["export", suite, "-o", str(dest), "--testsets", str(testsets), *extra])


def run(suite, folder, testsets, runs, *extra) -> int:
    return main(["run", suite, "--system", f"files:{folder}", "--testsets", str(testsets), "--out", str(runs),
                 "--metrics", LSD, "--no-progress", *extra])


def rows(runs: Path, suite: str, label: str) -> dict[str, dict]:
    lines = (runs / suite / label / "0" / "samples.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def test_export_layout_is_documented_complete_and_deterministic(tmp_path, testsets, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert export("audiocaps_t2a", a, testsets, "--limit", "4") == 0
    assert "--limit 4 --system files:OUTPUTS" in capsys.readouterr().out
    ts = build_testset(load_suite("audiocaps_t2a"), "mini", testsets)
    items = ts.items[:4]
    files = tree(a)
    assert sorted(files) == sorted(["FORMAT.md", "export.json", "items.jsonl", "audiocaps/test.csv"]
                                   + [it.target for it in items])
    for it in items:  # byte-identical copies at the paths items.jsonl gives
        assert files[it.target] == ts.path(it.target).read_bytes()
    lines = files["items.jsonl"].decode().splitlines()
    assert [json.loads(x)["id"] for x in lines] == [it.id for it in items]
    row = json.loads(lines[0])
    assert set(row) == {"id", "task", "instruction", "text", "caption", "lang", "gender", "seconds", "seed",
                        "segments", "source", "reference", "target", "subset", "meta"}
    assert row["seed"] == items[0].seed and row["seconds"] == 5.0 and row["source"] is None and row["segments"] == []
    info = json.loads(files["export.json"])
    assert info["format_version"] == 1 and info["testset_hash"] == ts.hash and info["limit"] == 4
    assert info["files"] == {rel: sha256_file(a / rel) for rel in files if rel != "export.json"}
    note = files["FORMAT.md"].decode()
    assert note.startswith("# unison-bench export, format 1") and "audiocap_id,youtube_id,start_time,caption" in note
    assert list(csv.reader(files["audiocaps/test.csv"].decode().splitlines()))[:2] == [
        ["audiocap_id", "youtube_id", "start_time", "caption"], ["1", items[0].id, "0", items[0].caption]]
    assert export("audiocaps_t2a", b, testsets, "--limit", "4") == 0
    assert tree(b) == files  # same suite / scale / limit -> the same bytes
    assert export("audiocaps_t2a", a, testsets, "--limit", "4") == 0  # again into itself: allowed, unchanged
    assert tree(a) == files


def test_reexport_touches_only_its_own_files(tmp_path, testsets):
    dest = tmp_path / "x"
    assert export("audiocaps_t2a", dest, testsets, "--limit", "4") == 0
    before = tree(dest)
    (dest / "outputs").mkdir()
    (dest / "outputs" / "mine.wav").write_bytes(b"user data")
    assert export("audiocaps_t2a", dest, testsets, "--limit", "2") == 0
    after = tree(dest)
    assert after["outputs/mine.wav"] == b"user data"
    assert len(after["items.jsonl"].decode().splitlines()) == 2 and json.loads(after["export.json"])["limit"] == 2
    gone = [rel for rel in before if rel.startswith("audio/") and rel not in after]
    assert len(gone) == 2  # the 3rd and 4th items' audio, listed by the previous export, removed


@pytest.mark.bad_input
def test_export_refuses_a_folder_it_did_not_write(tmp_path, testsets, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    assert export("audiocaps_t2a", mine, testsets, "--limit", "2") == 2
    err = capsys.readouterr().err
    assert f"export destination {mine} is not empty" in err and "-o NEW_DIR" in err and len(err.splitlines()) == 1
    assert tree(mine) == {"thesis.tex": b"keep me"}
    other = tmp_path / "other"
    assert export("audiocaps_t2a", other, testsets, "--limit", "2") == 0
    assert export("editing", other, testsets, "--limit", "2") == 2
    err = capsys.readouterr().err
    assert "holds an export of suite 'audiocaps_t2a'" in err and "not of 'editing'" in err
    (tmp_path / "file").write_text("x")
    assert export("audiocaps_t2a", tmp_path / "file", testsets) == 2
    assert "is a file" in capsys.readouterr().err
    assert export("audiocaps_t2b", tmp_path / "new", testsets) == 2
    assert "unknown suite 'audiocaps_t2b'" in capsys.readouterr().err and not (tmp_path / "new").exists()


def test_seedtts_export_and_a_seed_tts_eval_outputs_folder(tmp_path, testsets, capsys):
    """meta.lst as seed-tts-eval has it (read back by the suite's own paper-scale reader); outputs in
    <lang>/<utt>.wav score the zero-shot items, a second folder with tasks=tts the pure-TTS ones."""
    dest, runs = tmp_path / "export", tmp_path / "runs"
    assert export("seedtts", dest, testsets) == 0
    ts = build_testset(load_suite("seedtts"), "mini", testsets)
    zs = {(it.lang, it.meta["utt"]): it for it in ts.items if it.task == "zs_tts"}
    for lang in ("en", "zh"):
        for row in parse_meta_lst(dest / "seedtts" / lang / "meta.lst", lang):
            it = zs[(lang, row.utt)]
            assert (row.prompt_text, row.target_text) == (it.meta["prompt_text"], it.text)
            assert row.prompt_wav.read_bytes() == ts.path(it.reference).read_bytes()
    outputs = tmp_path / "seedtts-outputs"
    for (lang, utt), it in zs.items():  # what a zero-shot model evaluated with seed-tts-eval writes
        (outputs / lang).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ts.path(it.target), outputs / lang / f"{utt}.wav")
    assert run("seedtts", outputs, testsets, runs, "--system-arg", "layout=seedtts", "--system-arg", "name=zs") == 0
    got = rows(runs, "seedtts", "zs")
    assert all(got[it.id]["status"] == "ok" and got[it.id]["scores"][LSD] < 1e-6 for it in zs.values())
    tts = [it for it in ts.items if it.task == "tts"]
    for it in tts:
        assert got[it.id]["error"] == (f"missing: no file for item {it.id} in {outputs} ({it.lang}/{it.meta['utt']}.* "
                                       f"is item {it.lang}-zs-{it.meta['utt']}'s output in the seedtts layout; score "
                                       "this item's outputs from another folder with --system-arg tasks=tts)")
    assert run("seedtts", outputs, testsets, runs, "--system-arg", "layout=seedtts", "--system-arg", "tasks=tts",
               "--system-arg", "name=tts") == 0
    got = rows(runs, "seedtts", "tts")
    assert all(got[it.id]["status"] == "ok" for it in tts)
    assert all(got[it.id]["error"] == "system 'files' does not support task 'zs_tts'" for it in zs.values())


def test_gender_tts_meta_lst_has_no_prompt(tmp_path, testsets):
    dest, runs = tmp_path / "export", tmp_path / "runs"
    assert export("gender_tts", dest, testsets, "--limit", "4") == 0
    ts = build_testset(load_suite("gender_tts"), "mini", testsets)
    items = ts.items[:4]
    lines = (dest / "seedtts" / "en" / "meta.lst").read_text().splitlines()
    assert lines == [f"{it.id}|||{it.text}" for it in items]
    outputs = tmp_path / "outputs" / "en"
    outputs.mkdir(parents=True)
    for it in items:
        shutil.copyfile(ts.path(it.target), outputs / f"{it.id}.wav")
    assert run("gender_tts", outputs.parent, testsets, runs, "--limit", "4", "--system-arg", "layout=seedtts",
               "--system-arg", "name=g") == 0
    assert all(r["status"] == "ok" for r in rows(runs, "gender_tts", "g").values())


def test_audiocaps_outputs_named_by_audiocap_id_at_mini_scale(tmp_path, testsets):
    dest, runs = tmp_path / "export", tmp_path / "runs"
    assert export("audiocaps_t2a", dest, testsets, "--limit", "4") == 0
    outputs = tmp_path / "by-audiocap-id"
    outputs.mkdir()
    for row in csv.DictReader((dest / "audiocaps" / "test.csv").open()):
        item = json.loads(next(x for x in (dest / "items.jsonl").read_text().splitlines()
                               if json.loads(x)["id"] == row["youtube_id"]))
        shutil.copyfile(dest / item["target"], outputs / f"{row['audiocap_id']}.wav")
    assert sorted(p.name for p in outputs.iterdir()) == ["1.wav", "2.wav", "3.wav", "4.wav"]
    assert run("audiocaps_t2a", outputs, testsets, runs, "--limit", "4", "--system-arg", "layout=audiocaps",
               "--system-arg", "name=ac") == 0
    assert all(r["status"] == "ok" and r["scores"][LSD] < 1e-6 for r in rows(runs, "audiocaps_t2a", "ac").values())


def test_audiocaps_paper_ids_youtube_and_audiocap(tmp_path, monkeypatch):
    """A paper-scale test set from an AudioCaps folder (its csv + clips): the export's csv carries the
    release's ids, and outputs named by YouTube id or by audiocap id are both scored."""
    root = tmp_path / "audiocaps"
    (root / "test").mkdir(parents=True)
    (root / "test.csv").write_text("audiocap_id,youtube_id,start_time,caption\n105,abc,30,Later caption of abc\n"
                                   "103,abc,30,A dog barks twice\n200,xyz,0,\"Rain falls, on a roof\"\n", encoding="utf-8")
    t = np.arange(16000 * 10) / 16000
    for yid, f in (("abc", 440.0), ("xyz", 660.0)):
        sf.write(root / "test" / f"{yid}.wav", 0.3 * np.sin(2 * np.pi * f * t), 16000)
    monkeypatch.setenv(AUDIOCAPS_ENV, str(root))
    testsets, dest, runs = tmp_path / "ts", tmp_path / "export", tmp_path / "runs"
    assert export("audiocaps_t2a", dest, testsets, "--scale", "paper") == 0
    assert (dest / "audiocaps" / "test.csv").read_text() == ("audiocap_id,youtube_id,start_time,caption\n"
                                                             "103,abc,30,A dog barks twice\n"
                                                             "200,xyz,0,\"Rain falls, on a roof\"\n")
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    shutil.copyfile(dest / "audio" / "target" / "t2a-abc.wav", outputs / "abc.wav")  # by YouTube id
    shutil.copyfile(dest / "audio" / "target" / "t2a-xyz.wav", outputs / "200.wav")  # by audiocap id
    assert run("audiocaps_t2a", outputs, testsets, runs, "--scale", "paper", "--system-arg", "layout=audiocaps",
               "--system-arg", "name=paper") == 0
    got = rows(runs, "audiocaps_t2a", "paper")
    assert sorted(got) == ["t2a-abc", "t2a-xyz"] and all(r["status"] == "ok" for r in got.values())
