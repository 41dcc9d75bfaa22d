import json
from pathlib import Path

import numpy as np
import pytest

import bench
from bench import compare
from bench.results import metric_cell
from broken_results import CASES, assert_refused, break_results, break_samples


def cell(name, variant, value, hib, version="1"):
    return metric_cell({"name": name, "variant": variant, "version": version, "higher_is_better": hib},
                       value=value, n=40)


def write_run(d: Path, system: str, suite: str, metrics: dict, per_item: dict | None = None,
              testset="h1", samples=True) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    data = {"schema": 1, "harness": {"name": "unison-bench", "version": bench.__version__, "git": None},
            "suite": {"name": suite, "version": "1", "scale": "mini", "testset_hash": testset, "n_items": 40},
            "system": {"name": system, "signature": {}}, "seed": 0, "created": "x", "packages": {},
            "weights": {}, "metrics": metrics, "subsets": {}}
    (d / "results.json").write_text(json.dumps(data))
    if samples:
        per_item = per_item or {}
        lines = [json.dumps({"id": f"i{k}", "subset": None, "status": "ok", "error": None,
                             "scores": {key: vals[k] for key, vals in per_item.items()}}) for k in range(40)]
        (d / "samples.jsonl").write_text("\n".join(lines) + "\n")
    return d / "results.json"


@pytest.fixture()
def runs(tmp_path):
    rng = np.random.default_rng(0)
    base_clap = rng.normal(0.3, 0.05, size=40)
    better = base_clap + 0.05 + rng.normal(0, 0.01, size=40)  # clearly better on the same items
    noisy = base_clap + rng.normal(0, 0.05, size=40)  # same distribution, no shift
    mk = lambda d, sysname, clap, fd: write_run(  # noqa: E731
        tmp_path / d, sysname, "audiocaps_t2a",
        {"clap@laion-630k": cell("clap", "laion-630k", float(clap.mean()), True),
         "fd@yamnet-16k": cell("fd", "yamnet-16k", fd, False)},
        {"clap@laion-630k": list(map(float, clap))})
    wer = write_run(tmp_path / "w", "ckpt-O", "seedtts",
                    {"wer@faster-whisper-base-seedtts": cell("wer", "faster-whisper-base-seedtts", 0.1, False)})
    return (mk("a", "ckpt-O", base_clap, 10.0), mk("b", "ckpt-OL", better, 8.0), mk("c", "ckpt-S32", noisy, 12.0),
            wer, base_clap, better)


def test_deltas_and_paired_significance(runs):
    a, b, c, wer, base_clap, better = runs
    results = [compare.load(p) for p in (a, b, c, wer)]
    groups = compare.group_by_suite(results)
    assert list(groups) == ["audiocaps_t2a", "seedtts"]
    deltas = compare.compute_deltas(groups, n_boot=500)
    d_b = deltas[(id(results[1]), "clap@laion-630k")]
    assert d_b.value == pytest.approx(float(better.mean() - base_clap.mean()))
    assert d_b.paired.significant and d_b.mark() == "*"
    assert d_b.paired.delta == pytest.approx(d_b.value)
    d_c = deltas[(id(results[2]), "clap@laion-630k")]
    assert not d_c.paired.significant and d_c.mark() == ""
    fd_b = deltas[(id(results[1]), "fd@yamnet-16k")]
    assert fd_b.value == pytest.approx(-2.0) and fd_b.paired is None and fd_b.note == "set-level"


def test_render_side_by_side_and_ablation_layout(runs, tmp_path, capsys):
    a, b, c, wer, *_ = runs
    md = tmp_path / "cmp.md"
    p = compare.argparse.ArgumentParser()
    compare.add_arguments(p)
    assert compare.run(p.parse_args([str(a), str(b.parent), str(c), str(wer), "--markdown", str(md),
                                     "--n-boot", "300"])) == 0
    out = capsys.readouterr().out
    assert "suite audiocaps_t2a v1" in out and "ablation layout" in out
    header, rows = compare.ablation_table([compare.load(x) for x in (a, b, c, wer)], {})
    assert header == ["system", "clap@laion-630k", "fd@yamnet-16k", "wer@faster-whisper-base-seedtts"]
    assert [r[0] for r in rows] == ["ckpt-O/seed0", "ckpt-OL/seed0", "ckpt-S32/seed0"]
    assert rows[0][3] == "0.1" and rows[1][3] == ""  # ckpt-O's row gathers its seedtts metric too
    text = md.read_text()
    assert "| metric | dir |" in text and "*" in text and "| system |" in text


def test_incomparable_and_bad_inputs(runs, tmp_path, capsys):
    a, *_ = runs
    other = write_run(tmp_path / "o", "x", "audiocaps_t2a",
                      {"fd@yamnet-16k": cell("fd", "yamnet-16k", 1.0, False)}, testset="other")
    assert compare.main([str(a), str(other)]) == 2
    assert "testset_hash" in capsys.readouterr().err
    assert compare.main([str(tmp_path / "missing.json")]) == 2
    bad = tmp_path / "bad" / "results.json"
    bad.parent.mkdir()
    bad.write_text("[]")
    assert compare.main([str(bad)]) == 2
    (tmp_path / "badsamples").mkdir()
    bs = write_run(tmp_path / "badsamples", "y", "audiocaps_t2a", {}, samples=False)
    (bs.parent / "samples.jsonl").write_text("{oops\n")
    assert compare.main([str(bs)]) == 2


def test_metric_version_change_is_shown_not_subtracted(runs, tmp_path):
    a, *_ = runs
    v2 = write_run(tmp_path / "v2", "n", "audiocaps_t2a",
                   {"fd@yamnet-16k": cell("fd", "yamnet-16k", 3.0, False, version="2")}, samples=False)
    results = [compare.load(a), compare.load(v2)]
    deltas = compare.compute_deltas(compare.group_by_suite(results))
    d = deltas[(id(results[1]), "fd@yamnet-16k")]
    assert d.value is None and "incomparable" in d.note


def test_cli_entry_point_is_wired(runs):
    from bench.cli import main

    a, b, *_ = runs
    assert main(["compare", str(a), str(b), "--n-boot", "100"]) == 0


@pytest.mark.parametrize("case", CASES)
def test_broken_results_exit_2_naming_file_metric_and_value(runs, capsys, case):
    from bench.cli import main

    a, b, *_ = runs
    expect = break_results(b, case, "clap@laion-630k")
    code = main(["compare", str(a), str(b), "--n-boot", "50"])
    assert_refused(code, capsys.readouterr().err, b, case, "clap@laion-630k", expect)


@pytest.mark.parametrize("score, expect", [(float("nan"), "'score' is nan"), (float("inf"), "'score' is inf"),
                                           ("0.31", "'score' is '0.31' (a string)")])
def test_bad_per_item_scores_exit_2(runs, capsys, score, expect):
    """A NaN per-item score would poison the paired bootstrap: refused, naming line, item and metric."""
    from bench.cli import main

    a, b, *_ = runs
    samples = b.parent / "samples.jsonl"
    break_samples(samples, "clap@laion-630k", score)
    assert main(["compare", str(a), str(b), "--n-boot", "50"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {samples}:2: item 'i1', metric 'clap@laion-630k': ") and expect in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_delta_shown_is_the_paired_mean_when_the_runs_failed_different_items(tmp_path):
    """Each run's aggregate is over its own scored items; the printed delta is over the items both
    scored, so it sits inside its own CI (a shifted item that only one side scored cannot flip it)."""
    base = [1.0] * 10 + [None, 0.0]
    new = [0.5] * 10 + [3.0, None]  # 0.5 worse on every shared item; its one extra item is high
    pad = lambda v: v + [1.0] * 28  # noqa: E731 - 40 items in all, the rest equal
    mk = lambda d, vals: write_run(tmp_path / d, d, "s", {"m@x": cell("m", "x", float(np.mean(  # noqa: E731
        [v for v in vals if v is not None])), True)}, {"m@x": vals})
    a, b = compare.load(mk("a", pad(base))), compare.load(mk("b", pad(new)))
    d = compare.compute_deltas(compare.group_by_suite([a, b]), n_boot=500)[(id(b), "m@x")]
    assert d.paired.n == 38 and d.paired.n_missing == 2
    assert d.paired.ci_lo <= d.shown <= d.paired.ci_hi and d.shown == pytest.approx(-5 / 38)
    text = compare.render([a, b], n_boot=500)
    assert f"{d.shown:+.4g}*" in text and "(38 items both scored)" in text
