"""The report from toy runs: tables name every metric variant with n / CI, unavailable cells say
why, failed items show their error, every clip and spectrogram is embedded, summary.md agrees."""
import base64
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
    assert sorted(r.system for r in runs) == ["oracle", "toy_bad", "toy_gain"]
    (suite,) = group_by_suite(runs, toy_runs.testsets)
    assert suite.name == "toy_report" and suite.testset is not None and suite.testset_missing is None
    assert [r.system for r in suite.runs] == ["oracle", "toy_bad", "toy_gain"]  # the ceiling first
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
    paths = build_report(toy_runs.runs, out, testsets_dir=toy_runs.testsets, items_per_suite=6, worst_per_metric=2)
    html = paths.html.read_text()
    # examples: 6 items x (source, reference, target) + the oracle's and toy_gain's 6 outputs + toy_bad's
    # readable ones (item 4 raised, so it has no file; NaN / silent / long / 8 kHz files are still shown);
    # worst items (rmsdiff is the only per-item metric): none for the oracle (0 everywhere) and toy_bad
    # (one scored item, its best), toy_gain's 2 worst (items 5 and 4), each with its 3 test-set clips and
    # the system's output
    assert paths.n_clips == (6 * 3 + 6 + 5 + 6) + 2 * 4
    worst_block = re.search(r'<details class="worst" open><summary><b>toy_gain</b>.*?</table>', html, re.S).group(0)
    assert worst_block.index(">item005</a>") < worst_block.index(">item004</a>")  # the larger error first
    assert "item000" not in worst_block
    # each distinct clip and image is embedded once; its other appearances point at it
    uris = re.findall(r'src="(data:audio/ogg;base64,[^"]+)"', html)
    assert html.count("<audio ") == paths.n_clips == len(uris) + html.count('<audio controls preload="metadata" data-same-as=')
    assert len(set(uris)) == len(uris) and html.count('src="data:image/png;base64,') < paths.n_clips
    assert 'src="/' not in html and "file://" not in html and "http" not in html.replace("http://www.w3.org", "")
    for key in ("rmsdiff@toy", "meanrms@toy", "needsw@toy"):
        assert f"<code>{key}</code>" in html
    assert "n=6, 5 failed" in html  # toy_bad: only item 0 is valid
    assert "toy failure on item004" in html  # the failed item's error is shown
    assert "subset <b>sequential</b>" in html and "subset <b>overlapping</b>" in html
    assert "a low hum" in html and "0.1–0.7 s" in html  # the timed prompt's segments
    # the oracle's rmsdiff is exactly 0 and is the best value of its row
    section = html[html.index('<section id="suite-toy_report">'):]
    row = re.search(r"<code>rmsdiff@toy</code>.*?</tr>", section, re.S).group(0)
    assert re.search(r'class="value best"><span class="num">0</span>', row)
    md = paths.summary.read_text()
    assert "## toy_report" in md and "| `rmsdiff@toy` | ↓ | offline | **0**" in md and "### toy_report / overlapping" in md
    assert "1. `needsw@toy`: extractor toy_noweights: weights 'toy-model' not found" in md


def test_unavailable_cells_collapse_to_one_line(toy_runs, tmp_path):
    paths = build_report(toy_runs.runs, tmp_path / "r", testsets_dir=toy_runs.testsets, items_per_suite=0,
                         worst_per_metric=0)
    html = paths.html.read_text()
    reason = "extractor toy_noweights: weights &#39;toy-model&#39; not found"
    # the reason is written once (the list's full-reason text), not in every cell of every table
    assert html.count(reason) == 1  # once, in the list (short enough to need no "full reason" toggle)
    entry = re.search(r'<li id="na-1" value="1">(.*?)</li>', html, re.S).group(1)
    assert "<code>needsw@toy</code>" in entry and "toy_report (oracle, toy_bad, toy_gain)" in entry
    assert "weights fetch" not in entry  # the toy extractor declares no WeightSpec: no command is made up
    # needsw@toy measured nowhere: out of the main table, behind a toggle, its cells point at the entry
    main = html[html.index('<section id="suite-toy_report">'):]
    main_table = main[:main.index('<details class="hidden-rows">')]
    assert "<code>needsw@toy</code>" not in main_table
    hidden = re.search(r'<details class="hidden-rows">.*?</details>', main, re.S).group(0)
    assert "show 1 metric variant not measured here" in hidden
    assert hidden.count('<a href="#na-1">n/a<sup>1</sup></a>') == 3  # one per system


def test_the_weights_named_come_from_the_extractors_spec():
    from bench.extractors.vggish import WEIGHTS
    from bench.report.unavailable import Collector, weights_for

    assert weights_for("fad@vggish") == [WEIGHTS.name]
    assert weights_for("fd@yamnet-16k") == [] and weights_for("no-such@metric") == []
    col = Collector(short_reason)
    reason = f"extractor vggish: weights '{WEIGHTS.name}' ({WEIGHTS.filename}) not found. Looked in: $X (not set)."
    e = col.add("fad@vggish", reason, "audiocaps_t2a", "oracle")
    col.add("fad@vggish", reason, "audiocaps_t2a", "retrieval")
    col.add("fad@vggish", reason, "ablations", "oracle")
    assert e.commands == [f"unison-bench weights fetch {WEIGHTS.name}"]
    assert e.where == {"audiocaps_t2a": ["oracle", "retrieval"], "ablations": ["oracle"]}
    # the same variant failing for another cause is its own line, and fetches nothing
    other = col.add("fad@vggish", "fad@vggish needs >= 2 clips", "editing", "oracle")
    assert other.number == 2 and other.commands == []


def test_charts_are_measured_direction_aware_and_deterministic(toy_runs, tmp_path):
    a = build_report(toy_runs.runs, tmp_path / "a", testsets_dir=toy_runs.testsets, items_per_suite=1)
    b = build_report(toy_runs.runs, tmp_path / "b", testsets_dir=toy_runs.testsets, items_per_suite=1)
    assert a.html.read_bytes() == b.html.read_bytes()  # same runs, same bytes (audio, images, charts)
    assert a.summary.read_bytes() == b.summary.read_bytes()
    html = a.html.read_text()
    svgs = [base64.b64decode(u).decode() for u in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert len(svgs) == 2  # values with CIs, per-item distributions (no seeds.json here)
    values, dist = svgs
    assert "rmsdiff@toy" in values and "lower is better" in values and "meanrms@toy" in values
    assert "higher is better" in values and "needsw@toy" not in values  # measured only
    assert "rmsdiff@toy" in dist and "meanrms@toy" not in dist  # set-level: no per-item distribution
    assert "http" not in values.replace("http://www.w3.org", "")


def test_worst_items_are_direction_aware(tmp_path):
    from bench.report.collect import Run
    from bench.report.worst import worst

    run = Run(dir=tmp_path, results={}, samples={
        "a": {"scores": {"up": 0.9, "down": 0.1}}, "b": {"scores": {"up": 0.2, "down": 3.0}},
        "c": {"scores": {"up": 0.5, "down": None}}, "d": {"scores": {"up": 0.2, "down": 2.0}}})
    # lowest first, ties by id; a (0.9) is at the best score: not "worst"
    assert worst(run, "up", True, 3) == ([("b", 0.2), ("d", 0.2), ("c", 0.5)], 0, 1)
    assert worst(run, "down", False, 2) == ([("b", 3.0), ("d", 2.0)], 1, 1)  # highest first; c has no score
    tied = Run(dir=tmp_path, results={}, samples={i: {"scores": {"wer": 0.0}} for i in "xyz"})
    assert worst(tied, "wer", False, 2) == ([], 0, 3)  # WER 0 everywhere: nothing is worst


def test_only_the_listed_results(toy_runs, tmp_path):
    oracle = next(toy_runs.runs.rglob("oracle/0/results.json"))
    paths = build_report(toy_runs.runs, tmp_path / "r", testsets_dir=toy_runs.testsets, items_per_suite={"*": 1},
                         only=[oracle], notes=["toy note"], run_log=[{"suite": "toy_report", "system": "oracle",
                                                                     "status": "ok", "wall": "1 s", "cpu": "1 s",
                                                                     "generated": 6}], worst_per_metric=0)
    html = paths.html.read_text()
    assert paths.n_runs == 1 and "<th>toy_bad</th>" not in html and "<th>oracle</th>" in html
    assert "toy note" in html and "toy note" in paths.summary.read_text()
    assert paths.n_clips == 3 + 1  # one item: source, reference, target + the oracle's output


def test_cli(toy_runs, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["report", str(toy_runs.runs), "-o", str(out), "--testsets", str(toy_runs.testsets),
                 "--items", "0", "--worst", "0"]) == 0
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


def test_seeds_chart_from_seeds_json(toy_runs, tmp_path):
    """A system run with --seeds gets a chart of each seed's value and mean ± std across seeds."""
    from bench.multiseed import aggregate_seeds

    runs = _copy_runs(toy_runs, tmp_path / "runs")
    oracle = runs / "toy_report" / "oracle"
    shutil.copytree(oracle / "0", oracle / "1")
    res1 = json.loads((oracle / "1" / "results.json").read_text())
    res1["seed"] = 1
    res1["metrics"]["meanrms@toy"]["value"] *= 1.5  # another seed, another number
    (oracle / "1" / "results.json").write_text(json.dumps(res1))
    seeds = aggregate_seeds([json.loads((oracle / s / "results.json").read_text()) for s in ("0", "1")])
    (oracle / "seeds.json").write_text(json.dumps(seeds))
    paths = build_report(runs, tmp_path / "r", testsets_dir=toy_runs.testsets, items_per_suite=0, worst_per_metric=0)
    html = paths.html.read_text()
    assert 'class="chart chart-seeds"' in html
    uri = re.search(r'chart-seeds">.*?src="data:image/svg\+xml;base64,([^"]+)"', html, re.S).group(1)
    svg = base64.b64decode(uri).decode()
    assert "meanrms@toy" in svg and "2 seeds, mean ± std" in svg and "higher is better" in svg
    assert "toy_bad" not in svg  # no seeds.json for it: no spread is drawn
