"""unison-bench default: which system runs on which suite, and how the UNISON checkpoint is found."""
import pytest

from bench import default


def test_plan_runs_the_systems_each_suite_lists(monkeypatch, tmp_path):
    from bench.registry import load_suite

    monkeypatch.setenv(load_suite("ablations").checkpoints.folder_env, str(tmp_path))  # no checkpoints there
    jobs, notes = default.plan(["seedtts", "audiocaps_t2a", "editing", "t2as", "ablations"], None, "mini", None,
                               limit=5, unison_limit=2)
    pairs = {(j.suite, j.system) for j in jobs}
    assert {("seedtts", "oracle"), ("seedtts", "voices-gender"), ("audiocaps_t2a", "retrieval"),
            ("editing", "dsp-edit"), ("t2as", "oracle"), ("ablations", "oracle")} <= pairs
    assert ("audiocaps_t2a", "voices-gender") not in pairs and ("seedtts", "retrieval") not in pairs
    assert ("ablations", "voices-gender") not in pairs  # supports tts but not the t2a half
    assert not any(s == "t2as" and sys not in ("oracle",) for s, sys in pairs)
    assert not any(j.system.startswith("unison") for j in jobs)
    assert all(j.limit == 5 for j in jobs)
    assert any(n.startswith("ablations: checkpoint rows unavailable: checkpoints missing") and "tiny-O.safetensors" in n
               for n in notes)


def test_plan_with_checkpoints():
    tiny = default.REPO / default.TINY_CHECKPOINT
    if not tiny.is_file() or not (tiny.parent / "tiny-L.safetensors").is_file():
        pytest.skip(f"{tiny} and the ablation checkpoints are not in this checkout")
    jobs, notes = default.plan(["seedtts", "ablations"], tiny, "mini", None, limit=None, unison_limit=3)
    uni = [(j.suite, j.label, j.limit) for j in jobs if j.system.startswith("unison:")]
    # the ablations suite runs its own checkpoints instead of the main one
    assert uni == [("seedtts", "unison-tiny", 3), ("ablations", "unison:tiny-O", 3), ("ablations", "unison:tiny-L", 3)]
    assert [j.limit for j in jobs if not j.system.startswith("unison:")] == [None] * 3


def test_checkpoint_lookup(monkeypatch, tmp_path):
    monkeypatch.setenv(default.CHECKPOINT_ENV, str(tmp_path / "nope.safetensors"))
    ckpt, why = default.find_checkpoint(None)
    assert ckpt is None and "does not exist" in why and default.CHECKPOINT_ENV in why
    ckpt, why = default.find_checkpoint(str(tmp_path / "x.safetensors"))
    assert ckpt is None and "--checkpoint" in why
    real = tmp_path / "a.safetensors"
    real.write_bytes(b"")
    monkeypatch.setenv(default.CHECKPOINT_ENV, str(real))
    assert default.find_checkpoint(None) == (real, None)


def test_bad_limit_is_refused(capsys):
    import argparse

    p = argparse.ArgumentParser()
    default.add_arguments(p)
    with pytest.raises(SystemExit) as exit_:  # a usage error before any work
        p.parse_args(["--limit", "0"])
    assert exit_.value.code == 2 and "--limit" in capsys.readouterr().err


def test_the_suites_and_their_report_items_come_from_the_suite_files():
    assert default.default_suites() == ["audiocaps_t2a", "seedtts", "gender_tts", "t2as", "editing",
                                        "speech_in_scene", "timed_clap", "ablations", "speech_enhancement",
                                        "super_resolution", "target_speaker_extraction", "voice_conversion",
                                        "text_to_music"]
    suites = default.default_suites()
    assert default.report_items(suites, None, 1) == {"timed_clap": 2}  # a sequential and an overlapping prompt
    assert default.report_items(suites, None, 3) == {} and default.report_items(suites, None, 0) == {}


def test_a_listed_system_without_the_suites_tasks_and_a_suite_without_a_default_block(tmp_path):
    import yaml

    import bench_toys
    from bench.registry import find_suite

    raw = yaml.safe_load(find_suite("ablations").read_text())
    raw["default"]["systems"] = ["voices-gender", "oracle"]
    (tmp_path / "ablations.yaml").write_text(yaml.safe_dump(raw))
    bench_toys.write_suite(tmp_path)  # toy_tones: no default block
    jobs, notes = default.plan(["ablations", "toy_tones"], None, "mini", [str(tmp_path)])
    assert [(j.suite, j.system) for j in jobs] == [("ablations", "oracle")]
    assert "ablations: voices-gender skipped: it does not support task(s) t2a" in notes
    assert any(n.startswith("toy_tones: skipped:") and "no 'default' block" in n for n in notes)


def test_the_default_writes_only_untracked_ignored_paths():
    """`make default` must leave a checkout clean: its runs, test sets and report go under runs/,
    which git ignores, never into the committed example report (reports/default)."""
    import argparse
    import shutil
    import subprocess

    p = argparse.ArgumentParser()
    default.add_arguments(p)
    args = p.parse_args([])
    paths = [args.out, args.out / "testsets", default.report_dir(args), default.report_dir(args) / "leaderboards"]
    assert all(not q.is_absolute() and q.parts[0] == "runs" for q in paths), paths
    assert not any(q.parts[:2] == ("reports", "default") for q in paths)
    if shutil.which("git") is None or not (default.REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for q in paths:
        probe = q / "index.html"
        tracked = subprocess.run(["git", "ls-files", "--", str(q)], cwd=default.REPO, capture_output=True, text=True)
        assert tracked.stdout == "", f"{q} holds tracked files: {tracked.stdout[:200]}"
        ignored = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=default.REPO)
        assert ignored.returncode == 0, f"{probe} is not ignored by git"
    # the committed example is refreshed by an explicit command, which names that folder
    assert "unison-bench default --report reports/default" in (default.REPO / "Makefile").read_text()


def test_a_suites_default_items_caps_its_runs():
    """speech_enhancement's `default.items` (6) caps every system there, UNISON too, under a larger --limit."""
    from bench.registry import load_suite

    first = load_suite("speech_enhancement").default.items
    assert first == 6
    tiny = default.REPO / default.TINY_CHECKPOINT
    jobs, _ = default.plan(["speech_enhancement"], tiny if tiny.is_file() else None, "mini", None,
                           limit=10, unison_limit=8)
    assert {j.system for j in jobs} >= {"oracle", "identity", "noisereduce"}
    assert all(j.limit == first for j in jobs)
    jobs, _ = default.plan(["speech_enhancement"], None, "mini", None, limit=2, unison_limit=None)
    assert all(j.limit == 2 for j in jobs)


def test_default_items_must_be_a_positive_integer(tmp_path):
    from bench.spec import SpecError, parse_default

    with pytest.raises(SpecError, match="default.items"):
        parse_default(tmp_path / "x.yaml", {"systems": ["oracle"], "items": 0})
