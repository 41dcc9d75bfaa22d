import csv
import io
import json

import pytest

import bench_toys
from broken_results import CASES, KEY, assert_refused, break_results, write_valid
from bench.registry import create_system
from bench.run import RunOptions, run
from bench.spec import load_spec
from bench.tables import collect_rows, render


@pytest.fixture
def results(monkeypatch, tmp_path):
    bench_toys.register(monkeypatch.setitem)
    spec = load_spec(bench_toys.write_suite(tmp_path / "suites"))
    paths = []
    for system in ("oracle", "toy_bad"):
        rep = run(RunOptions(suite=spec, system=create_system(system), system_name=system, out=tmp_path / "runs",
                             testsets_dir=tmp_path / "ts", progress=False, metrics=["rmsdiff@toy", "needsw@toy"]))
        paths.append(rep.results_path)
    return paths


def test_markdown(results):
    md = render(results, "md")
    assert "metric (name@variant)" in md and "95% CI" in md and "| n |" in md
    assert "`rmsdiff@toy`" in md and "`needsw@toy`" in md
    assert "unavailable: extractor toy_noweights: weights 'toy-model' not found" in md
    oracle_row = next(line for line in md.splitlines() if "| oracle |" in line and "| all |" in line and "rmsdiff" in line)
    assert "| 0 | [0, 0] | 6 | 0 |" in oracle_row
    bad_row = next(line for line in md.splitlines() if "| toy_bad |" in line and "| all |" in line and "rmsdiff" in line)
    assert "| 6 | 5 |" in bad_row


def test_csv_round_trips_values(results):
    rows = list(csv.DictReader(io.StringIO(render(results, "csv"))))
    assert set(rows[0]) >= {"metric", "value", "ci95_lo", "ci95_hi", "n", "n_failed"}
    data = json.loads(results[1].read_text())
    row = next(r for r in rows if r["system"] == "toy_bad" and r["subset"] == "all" and r["metric"] == "rmsdiff@toy")
    assert float(row["value"]) == data["metrics"]["rmsdiff@toy"]["value"]
    assert int(row["n"]) == 6 and int(row["n_failed"]) == 5
    un = next(r for r in rows if r["metric"] == "needsw@toy")
    assert un["value"].startswith("unavailable: ")
    assert {r["subset"] for r in rows} == {"all", "low", "high"}
    assert {r["subset"] for r in collect_rows(results, subsets=False)} == {"all"}


def test_latex_escapes(results):
    tex = render(results, "latex")
    assert tex.startswith(r"\begin{tabular}") and r"\bottomrule" in tex
    assert r"\texttt{rmsdiff@toy}" in tex and r"toy\_bad" in tex and r"95\% CI" in tex
    assert r"\textit{unavailable: extractor toy\_noweights" in tex


def test_bad_inputs(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(ValueError, match="not a unison-bench results.json"):
        render([p])
    with pytest.raises(ValueError, match="unknown table format"):
        render([p], "html")


@pytest.mark.parametrize("case", CASES)
def test_broken_results_exit_2_naming_file_metric_and_value(tmp_path, capsys, case):
    from bench.cli import main

    good, bad = write_valid(tmp_path / "good"), write_valid(tmp_path / "bad", system="sysB")
    assert main(["table", str(good), str(bad)]) == 0
    capsys.readouterr()
    expect = break_results(bad, case, KEY, subset="add" if case == "nan-value" else None)
    for fmt in ("md", "csv", "latex"):
        code = main(["table", str(good), str(bad), "--format", fmt])
        captured = capsys.readouterr()
        assert_refused(code, captured.err, bad, case, KEY, expect)
        assert captured.out == ""  # no partial table
