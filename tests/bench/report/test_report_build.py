"""The report from toy runs: tables name every metric variant with n / CI, unavailable cells say
why, failed items show their error, every clip and spectrogram is embedded, summary.md agrees."""
import json
import re
import shutil

import pytest

from bench.cli import main
from bench.report import build_report
from bench.report.build import cell_view, short_reason
from bench.report.collect import find_runs, group_by_suite, pick_items
from broken_results import CASES, assert_refused, break_results, break_samples


def test_collect_groups_runs_and_finds_the_test_set_by_hash(toy_runs, tmp_path):
    runs = find_runs(toy_runs.runs)
    assert sorted(r.system for r in runs) == ["oracle", "toy_bad"]
    (suite,) = group_by_suite(runs, toy_runs.testsets)
    assert suite.name == "toy_report" and suite.testset is not None and suite.testset_missing is None
    assert [r.system for r in suite.runs] == ["oracle", "toy_bad"]  # the ceiling first
    picked = pick_items(suite, 3)
    assert [it.subset for it in picked] == ["sequential", "overlapping", "sequential"]  # round robin
    (elsewhere,) = group_by_suite(runs, tmp_path / "empty")
    assert elsewhere.testset is None and "not found under" in elsewhere.testset_missing


def test_cells():
    assert cell_view(None)["text"] == "not run"
    c = cell_view({"value": 0.25, "n": 8, "n_failed": 2, "ci95": [0.1, 0.4], "unavailable": None})
    assert c["text"] == "0.25" and c["ci"] == "[0.1, 0.4]" and c["count"] == "n=8, 2 failed"
    u = cell_view({"value": None, "n": 8, "n_failed": 0, "ci95": None,
                   "unavailable": "weights 'x' (x.pt) not found. Looked in: $A (not set). To provide it: ..."})
    assert u["kind"] == "unavailable" and u["short"] == "weights 'x' (x.pt) not found."
    assert short_reason("a" * 300).endswith("…") and len(short_reason("a" * 300)) == 110


def test_report_html_and_summary(toy_runs, tmp_path):
    out = tmp_path / "report"
    paths = build_report(toy_runs.runs, out, testsets_dir=toy_runs.testsets, items_per_suite=6)
    html = paths.html.read_text()
    # 6 items x (source, reference, target) + the oracle's 6 outputs + toy_bad's readable ones
    # (item 4 raised, so it has no file; NaN / silent / long / 8 kHz files are still shown)
    assert paths.n_clips == 6 * 3 + 6 + 5
    assert html.count("<audio ") == paths.n_clips and html.count('src="data:audio/ogg;base64,') == paths.n_clips
    assert html.count('src="data:image/png;base64,') == paths.n_clips
    assert 'src="/' not in html and "file://" not in html  # nothing outside the one file
    for key in ("rmsdiff@toy", "meanrms@toy", "needsw@toy"):
        assert f"<code>{key}</code>" in html
    assert "unavailable: extractor toy_noweights: weights &#39;toy-model&#39; not found" in html
    assert "n=6, 5 failed" in html  # toy_bad: only item 0 is valid
    assert "toy failure on item004" in html  # the failed item's error is shown
    assert "subset <b>sequential</b>" in html and "subset <b>overlapping</b>" in html
    assert "a low hum" in html and "0.1–0.7 s" in html  # the timed prompt's segments
    # the oracle's rmsdiff is exactly 0 and is the best value of its row
    row = re.search(r"<code>rmsdiff@toy</code>.*?</tr>", html, re.S).group(0)
    assert re.search(r'class="value best"><span class="num">0</span>', row)
    md = paths.summary.read_text()
    assert "## toy_report" in md and "| `rmsdiff@toy` | ↓ | offline | **0**" in md
    assert "unavailable: extractor toy_noweights" in md and "### toy_report / overlapping" in md
    assert "1. extractor toy_noweights: weights 'toy-model' not found" in md


def test_only_the_listed_results(toy_runs, tmp_path):
    oracle = next(toy_runs.runs.rglob("oracle/0/results.json"))
    paths = build_report(toy_runs.runs, tmp_path / "r", testsets_dir=toy_runs.testsets, items_per_suite={"*": 1},
                         only=[oracle], notes=["toy note"], run_log=[{"suite": "toy_report", "system": "oracle",
                                                                     "status": "ok", "wall": "1 s", "cpu": "1 s",
                                                                     "generated": 6}])
    html = paths.html.read_text()
    assert paths.n_runs == 1 and "<th>toy_bad</th>" not in html and "<th>oracle</th>" in html
    assert "toy note" in html and "toy note" in paths.summary.read_text()
    assert paths.n_clips == 3 + 1  # one item: source, reference, target + the oracle's output


def test_cli(toy_runs, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["report", str(toy_runs.runs), "-o", str(out), "--testsets", str(toy_runs.testsets),
                 "--items", "0"]) == 0
    assert "0 clips" in capsys.readouterr().out
    html = (out / "index.html").read_text()
    assert "<audio" not in html and "<code>rmsdiff@toy</code>" in html
    assert main(["report", str(tmp_path / "nope"), "-o", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", str(toy_runs.runs), "-o", str(out), "--items", "-1"]) == 2  # a usage error
    assert "--items" in capsys.readouterr().err


def _copy_runs(toy_runs, dest):
    return shutil.copytree(toy_runs.runs, dest, ignore=shutil.ignore_patterns(".cache"))


@pytest.mark.parametrize("case", CASES)
def test_a_broken_results_file_is_named_not_skipped(toy_runs, tmp_path, capsys, case):
    """The report refuses a malformed results.json with what is wrong in it: never 'no results.json
    under ...', never a report silently missing that run."""
    runs = _copy_runs(toy_runs, tmp_path / "runs")
    bad = next(runs.rglob("oracle/0/results.json"))
    expect = break_results(bad, case, "rmsdiff@toy")
    code = main(["report", str(runs), "-o", str(tmp_path / "r"), "--testsets", str(toy_runs.testsets), "--items", "0"])
    err = capsys.readouterr().err
    assert_refused(code, err, bad, case, "rmsdiff@toy", expect)
    assert "no results.json under" not in err and not (tmp_path / "r").exists()


def test_bad_samples_and_an_empty_folder(toy_runs, tmp_path, capsys):
    runs = _copy_runs(toy_runs, tmp_path / "runs")
    samples = next(runs.rglob("oracle/0/samples.jsonl"))
    break_samples(samples, "rmsdiff@toy", float("nan"))
    assert main(["report", str(runs), "-o", str(tmp_path / "r"), "--items", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {samples}:2: item ") and "metric 'rmsdiff@toy': field 'score' is nan" in err
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "-o", str(tmp_path / "r")]) == 2
    assert f"no results.json under {tmp_path / 'empty'}" in capsys.readouterr().err
