"""``python -m bench.baselines``: a baseline `regress` would refuse is never written."""
from bench.baselines.__main__ import main
from broken_results import KEY, break_results, write_valid


def test_copies_valid_results_and_refuses_broken_ones(tmp_path, capsys):
    runs, dest = tmp_path / "runs", tmp_path / "baseline"
    write_valid(runs / "audiocaps_t2a" / "sysA" / "0")
    bad = write_valid(runs / "audiocaps_t2a" / "sysB" / "0", system="sysB")
    assert main([str(runs), str(dest)]) == 0
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.json*")) == [
        "audiocaps_t2a/sysA/0/results.json", "audiocaps_t2a/sysA/0/samples.jsonl",
        "audiocaps_t2a/sysB/0/results.json", "audiocaps_t2a/sysB/0/samples.jsonl"]
    before = (dest / "audiocaps_t2a" / "sysB" / "0" / "results.json").read_text()
    break_results(bad, "nan-value", KEY)
    assert main([str(runs), str(dest)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: metric {KEY!r}: field 'value' is nan" in err
    assert (dest / "audiocaps_t2a" / "sysB" / "0" / "results.json").read_text() == before  # old baseline kept
