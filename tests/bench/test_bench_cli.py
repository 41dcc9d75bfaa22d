"""unison-bench CLI (named test_bench_cli so it cannot clash with a tests/unison/test_cli.py)."""
import io
import logging
import re
import sys
import types

import pytest

import bench_toys
from bench.cli import main


@pytest.fixture
def env(monkeypatch, tmp_path):
    bench_toys.register(monkeypatch.setitem)
    bench_toys.write_suite(tmp_path / "suites")
    monkeypatch.setenv("UNISON_BENCH_SUITES", str(tmp_path / "suites"))
    monkeypatch.setenv("UNISON_BENCH_TESTSETS", str(tmp_path / "testsets"))
    return tmp_path


def test_ls(env, capsys):
    assert main(["ls"]) == 0
    out = capsys.readouterr().out
    assert "toy_tones" in out and "v1" in out and "rmsdiff@toy,meanrms@toy" in out
    assert "oracle" in out and "toy_rms" in out
    assert "rmsdiff@toy" in out and "gen=toy_rms,target=toy_rms" in out


def test_build_run_table(env, capsys):
    assert main(["build", "toy_tones"]) == 0
    assert "6 items, hash" in capsys.readouterr().out
    out_dir = env / "runs"
    assert main(["run", "toy_tones", "--system", "oracle", "--limit", "3", "--seed", "7", "--out", str(out_dir),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    results = out_dir / "toy_tones" / "oracle" / "7" / "results.json"
    assert results.is_file() and f"results: {results}" in out and "`rmsdiff@toy`" in out
    for fmt, marker in (("md", "| metric (name@variant)"), ("csv", "suite,system,seed"), ("latex", r"\toprule")):
        assert main(["table", str(results), "--format", fmt]) == 0
        assert marker in capsys.readouterr().out
    assert main(["table", str(results), "--format", "csv", "-o", str(env / "t.csv")]) == 0
    assert (env / "t.csv").read_text().startswith("suite,")


def test_exit_code_2_on_bad_input(env, capsys):
    assert main(["run", "toy_tone", "--system", "oracle"]) == 2
    assert "Did you mean: toy_tones" in capsys.readouterr().err
    assert main(["run", "toy_tones", "--system", "oracel", "--out", str(env / "r")]) == 2
    assert "Did you mean: oracle" in capsys.readouterr().err
    bad = env / "bad" / "broken.yaml"
    bad.parent.mkdir()
    bad.write_text("name: broken\nversion: 1\n")
    assert main(["build", str(bad)]) == 2
    assert "field 'builder': missing" in capsys.readouterr().err
    assert main(["table", str(env / "nope.json")]) == 2
    assert main(["frobnicate"]) == 2


def test_regress_and_compare_are_lazy(monkeypatch, capsys):
    calls = []
    fake = types.ModuleType("bench.regress")
    fake.add_arguments = lambda p: p.add_argument("--threshold", type=float, required=True)
    fake.run = lambda args: calls.append(args.threshold) or 1
    monkeypatch.setitem(sys.modules, "bench.regress", fake)
    assert main(["regress", "--threshold", "0.5"]) == 1 and calls == [0.5]
    assert main(["regress"]) == 2  # its own parser rejects missing arguments
    monkeypatch.setitem(sys.modules, "bench.compare", None)  # not importable
    assert main(["compare"]) == 1
    assert "needs bench.compare" in capsys.readouterr().err


def test_run_several_seeds_reports_mean_and_std(env, capsys):
    import json

    out_dir = env / "runs"
    assert main(["run", "toy_tones", "--system", "toy_slow", "--limit", "3", "--seeds", "0,1", "--out", str(out_dir),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    agg = json.loads((out_dir / "toy_tones" / "toy_slow" / "seeds.json").read_text())
    assert agg["seeds"] == [0, 1]
    cell = agg["metrics"]["rmsdiff@toy"]
    per = [json.loads((out_dir / "toy_tones" / "toy_slow" / s / "results.json").read_text())["metrics"]["rmsdiff@toy"]["value"]
           for s in ("0", "1")]
    assert list(cell["per_seed"].values()) == per and abs(cell["value"] - sum(per) / 2) < 1e-12
    assert "±" in out
    assert main(["run", "toy_tones", "--system", "oracle", "--seeds", "1,1", "--out", str(out_dir)]) == 2
    assert "distinct" in capsys.readouterr().err


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _noisy_generate(monkeypatch):
    """The toy system announces things the way third-party libraries do while it loads."""
    orig = bench_toys.SlowOracle.generate

    def generate(self, items, root):
        mod = types.ModuleType("somelib")
        exec(compile("import warnings\ndef load():\n    warnings.warn('some weights were not used')\n",
                     "/site-packages/somelib/__init__.py", "exec"), mod.__dict__)
        mod.load()
        logging.getLogger("transformers").warning("Some weights of the model were not initialized")
        print("Notice: ffmpeg is not installed.")
        yield from orig(self, items, root)

    monkeypatch.setattr(bench_toys.SlowOracle, "generate", generate)


def test_run_writes_notices_to_its_log_and_draws_bars_on_a_terminal(env, capsys, monkeypatch):
    _noisy_generate(monkeypatch)
    out_dir = env / "runs"
    argv = ["run", "toy_tones", "--system", "toy_slow", "--out", str(out_dir)]
    assert main(argv + ["--limit", "3"]) == 0
    capsys.readouterr()
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)  # a terminal: bars are drawn on it
    assert main(argv) == 0
    out = capsys.readouterr().out
    log_path = out_dir / "toy_tones" / "toy_slow" / "0" / "log.txt"
    assert f"log: {log_path}" in out and "`rmsdiff@toy`" in out
    log = log_path.read_text()
    assert "toy_slow: 3 of 6 items already generated (resumed from disk), 3 to generate" in log
    assert "some weights were not used" in log and "WARNING transformers: Some weights" in log
    assert "Notice: ffmpeg is not installed." in log
    terminal = out + tty.getvalue()
    assert "generate toy_tones · toy_slow:  50%" in tty.getvalue() and "6/6" in tty.getvalue()
    for noise in ("some weights", "Some weights", "ffmpeg", "resumed from disk"):
        assert noise not in terminal, noise

    tty.seek(0)
    tty.truncate(0)
    assert main(argv + ["--no-progress", "--seed", "1"]) == 0
    assert tty.getvalue() == ""
    assert main(["-v"] + argv + ["--no-progress", "--seed", "2"]) == 0  # -v: everything on the terminal too
    assert "Some weights of the model" in tty.getvalue() and "info: wrote" in tty.getvalue()


def test_default_counts_its_runs_and_writes_one_log(env, capsys, monkeypatch):
    _noisy_generate(monkeypatch)
    bench_toys.write_suite(env / "suites", bench_toys.TOY_SUITE_YAML + "default: {systems: [oracle, toy_slow]}\n")
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    out_dir = env / "default"
    code = main(["default", "--suites", "toy_tones", "--suites-dir", str(env / "suites"), "--out", str(out_dir),
                 "--limit", "2", "--items", "0", "--worst", "0"])
    out = capsys.readouterr().out
    assert code == 0, out + tty.getvalue()
    assert f"log: {out_dir / 'log.txt'}" in out
    assert re.search(r"\[1/2\] toy_tones +oracle .* ok", out) and re.search(r"\[2/2\] toy_tones +toy_slow .* ok", out)
    assert "[2/2] generate toy_tones · toy_slow" in tty.getvalue()
    log = (out_dir / "log.txt").read_text()
    assert "some weights were not used" in log and "Notice: ffmpeg is not installed." in log
    assert "ffmpeg" not in out + tty.getvalue()
    assert main(["default", "--suites", "toy_tones", "--suites-dir", str(env / "suites"), "--out", str(out_dir),
                 "--limit", "2", "--items", "0", "--worst", "0", "--no-progress"]) == 0
    assert "resumed from disk" in (out_dir / "log.txt").read_text()
