import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bench
from bench import regress
from bench.results import metric_cell
from broken_results import CASES, assert_refused, break_results


def cell(name, variant, value, hib, ci=None, version="1", unavailable=None):
    desc = {"name": name, "variant": variant, "version": version, "higher_is_better": hib}
    return metric_cell(desc, value=value, n=10, ci95=ci, unavailable=unavailable)


def write_results(d: Path, metrics: dict, *, system="sysA", seed=0, suite_version="1", testset="abc123",
                  harness_version=None, subsets=None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    data = {"schema": 1,
            "harness": {"name": "unison-bench", "version": harness_version or bench.__version__, "git": None},
            "suite": {"name": "audiocaps_t2a", "version": suite_version, "scale": "mini",
                      "testset_hash": testset, "n_items": 10},
            "system": {"name": system, "signature": {}}, "seed": seed, "created": "2026-01-01T00:00:00+00:00",
            "packages": {}, "weights": {}, "metrics": metrics, "subsets": subsets or {}}
    p = d / "results.json"
    p.write_text(json.dumps(data))
    return p


BASE = {"fd@yamnet-16k": cell("fd", "yamnet-16k", 10.0, False),
        "clap@laion-630k": cell("clap", "laion-630k", 0.30, True, ci=(0.28, 0.32)),
        "wer@faster-whisper-base-seedtts": cell("wer", "faster-whisper-base-seedtts", 0.10, False, ci=(0.08, 0.13))}


def tol_file(tmp_path, text):
    p = tmp_path / "tol.yaml"
    p.write_text(text)
    return p


def run_cli(*argv):
    p = regress.argparse.ArgumentParser()
    regress.add_arguments(p)
    return regress.run(p.parse_args(list(map(str, argv))))


TOL = """
metrics:
  fd@yamnet-16k: {rel: 0.10}
  "clap@*": {abs: 0.01}
  wer@faster-whisper-base-seedtts: {abs: 0.0, ci: true}
"""


def test_pass_within_tolerance_and_direction(tmp_path, capsys):
    base = write_results(tmp_path / "a", BASE)
    new = dict(BASE)
    new["fd@yamnet-16k"] = cell("fd", "yamnet-16k", 10.9, False)  # worse by 9% < 10%
    new["clap@laion-630k"] = cell("clap", "laion-630k", 0.5, True)  # better: never a regression
    new["wer@faster-whisper-base-seedtts"] = cell("wer", "faster-whisper-base-seedtts", 0.125, False)  # in CI
    res = write_results(tmp_path / "b", new, system="sysB")
    md = tmp_path / "out" / "summary.md"
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol_file(tmp_path, TOL),
                   "--summary", md) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "fd@yamnet-16k" in out
    text = md.read_text()
    assert "no regression" in text and "| fd@yamnet-16k |" in text


def test_regressions_detected_direction_aware(tmp_path, capsys):
    base = write_results(tmp_path / "a", BASE)
    new = dict(BASE)
    new["fd@yamnet-16k"] = cell("fd", "yamnet-16k", 11.5, False)  # worse by 15% > 10%
    new["clap@laion-630k"] = cell("clap", "laion-630k", 0.28, True)  # lower is worse for CLAP
    new["wer@faster-whisper-base-seedtts"] = cell("wer", "faster-whisper-base-seedtts", 0.14, False)  # above CI
    res = write_results(tmp_path / "b", new)
    md = tmp_path / "s.md"
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol_file(tmp_path, TOL),
                   "--summary", md) == 1
    out = capsys.readouterr().out
    assert out.count("FAIL") == 3 and "REGRESSION" in out
    assert "3 regression(s)" in md.read_text()


def test_missing_or_unavailable_metric_fails(tmp_path):
    base = write_results(tmp_path / "a", BASE)
    new = {"fd@yamnet-16k": cell("fd", "yamnet-16k", None, False, unavailable="weights missing")}
    res = write_results(tmp_path / "b", new)
    checks = regress.run_checks(regress.load(base), regress.load(res), regress.load_tolerances(tol_file(tmp_path, TOL)))
    assert {c.key: c.status for c in checks} == {"fd@yamnet-16k": "missing", "clap@laion-630k": "missing",
                                                 "wer@faster-whisper-base-seedtts": "missing"}
    assert regress.verdict(checks) == 1


def test_default_tolerance_checks_every_metric_and_subsets(tmp_path):
    subsets = {"add": {"fd@yamnet-16k": cell("fd", "yamnet-16k", 5.0, False)}}
    base = write_results(tmp_path / "a", BASE, subsets=subsets)
    res = write_results(tmp_path / "b", BASE, subsets={"add": {"fd@yamnet-16k": cell("fd", "yamnet-16k", 9.0, False)}})
    tols = regress.load_tolerances(tol_file(tmp_path, "default: {rel: 0.05}\nsubsets: true\n"))
    checks = regress.run_checks(regress.load(base), regress.load(res), tols)
    status = {c.key: c.status for c in checks}
    assert status["add/fd@yamnet-16k"] == "FAIL" and status["fd@yamnet-16k"] == "pass" and len(status) == 4


@pytest.mark.parametrize("change, message", [
    (dict(suite_version="2"), "suite.version"),
    (dict(testset="zzz"), "suite.testset_hash"),
])
def test_refuses_incomparable_suites(tmp_path, capsys, change, message):
    base = write_results(tmp_path / "a", BASE)
    res = write_results(tmp_path / "b", BASE, **change)
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol_file(tmp_path, TOL)) == 2
    assert message in capsys.readouterr().err


def test_refuses_other_metric_version_and_harness_major(tmp_path, capsys):
    base = write_results(tmp_path / "a", BASE)
    new = dict(BASE)
    new["fd@yamnet-16k"] = cell("fd", "yamnet-16k", 10.0, False, version="2")
    res = write_results(tmp_path / "b", new)
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol_file(tmp_path, TOL)) == 2
    assert "fd@yamnet-16k.version" in capsys.readouterr().err
    other = write_results(tmp_path / "c", BASE, harness_version="99.0.0")
    assert run_cli("--baseline", base, "--results", other, "--tolerances", tol_file(tmp_path, TOL)) == 2
    assert "major version" in capsys.readouterr().err


def test_bad_inputs_exit_2(tmp_path, capsys):
    base = write_results(tmp_path / "a", BASE)
    tol = tol_file(tmp_path, TOL)
    assert run_cli("--baseline", tmp_path / "nope.json", "--results", base, "--tolerances", tol) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert run_cli("--baseline", base, "--results", bad, "--tolerances", tol) == 2
    badtol = tol_file(tmp_path, "metrics:\n  fd@yamnet-16k: {relative: 0.1}\n")
    assert run_cli("--baseline", base, "--results", base, "--tolerances", badtol) == 2
    err = capsys.readouterr().err
    assert "no such results file" in err and "not JSON" in err and "unknown fields" in err


def test_cli_entry_point_is_wired(tmp_path):
    from bench.cli import main

    base = write_results(tmp_path / "a", BASE)
    assert main(["regress", "--baseline", str(base), "--results", str(base),
                 "--tolerances", str(tol_file(tmp_path, TOL))]) == 0


@pytest.mark.parametrize("side", ["baseline", "results"])
@pytest.mark.parametrize("case", CASES)
def test_broken_results_exit_2_naming_file_metric_and_value(tmp_path, capsys, side, case):
    """NaN / inf / a string / a missing field / broken JSON on either side is bad input, never a
    pass and never a 'regression'."""
    from bench.cli import main

    base, res = write_results(tmp_path / "a", BASE), write_results(tmp_path / "b", BASE, system="sysB")
    bad = base if side == "baseline" else res
    expect = break_results(bad, case, "clap@laion-630k")
    code = main(["regress", "--baseline", str(base), "--results", str(res),
                 "--tolerances", str(tol_file(tmp_path, TOL))])
    assert_refused(code, capsys.readouterr().err, bad, case, "clap@laion-630k", expect)


def test_nan_in_an_unchecked_subset_or_in_samples_is_still_refused(tmp_path, capsys):
    subsets = {"add": {"fd@yamnet-16k": cell("fd", "yamnet-16k", 5.0, False)}}
    base = write_results(tmp_path / "a", BASE, subsets=subsets)
    res = write_results(tmp_path / "b", BASE, subsets=subsets)
    tol = tol_file(tmp_path, TOL)  # subsets are not checked by this tolerance file
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol) == 0
    break_results(res, "nan-value", "fd@yamnet-16k", subset="add")
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol) == 2
    assert "metric 'fd@yamnet-16k' (subset 'add'): field 'value' is nan" in capsys.readouterr().err
    res = write_results(tmp_path / "b", BASE, subsets=subsets)
    samples = tmp_path / "b" / "samples.jsonl"
    samples.write_text('{"id": "x", "scores": {"clap@laion-630k": 0.3}}\n'
                       '{"id": "y", "scores": {"clap@laion-630k": NaN}}\n')
    assert run_cli("--baseline", base, "--results", res, "--tolerances", tol) == 2
    assert f"{samples}:2: item 'y', metric 'clap@laion-630k': field 'score' is nan" in capsys.readouterr().err


def test_the_console_command_prints_one_line_and_no_traceback(tmp_path):
    """As CI runs it: a separate process, exit 2, a single line on stderr."""
    base, res = write_results(tmp_path / "a", BASE), write_results(tmp_path / "b", BASE)
    break_results(base, "nan-value", "fd@yamnet-16k")
    env = {**os.environ, "PYTHONPATH": str(Path(bench.__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "bench.cli", "regress", "--baseline", str(base), "--results", str(res),
                           "--tolerances", str(tol_file(tmp_path, TOL))], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {base}: metric 'fd@yamnet-16k': field 'value' is nan")
