"""Progress bars: k/N on a terminal, nothing on anything else, nothing with --no-progress; a run's
numbers do not depend on them."""
import io
import re

import pytest

import bench_toys
from bench.progress import Progress
from bench.registry import create_system
from bench.run import RunOptions, run
from bench.spec import load_spec


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def toys(monkeypatch, tmp_path):
    bench_toys.register(monkeypatch.setitem)
    return load_spec(bench_toys.write_suite(tmp_path / "suites"))


def _run(tmp_path, spec, progress, system="toy_slow", **kw):
    return run(RunOptions(suite=spec, system=create_system(system), system_name=system, out=tmp_path / "runs",
                          testsets_dir=tmp_path / "testsets", progress=progress, **kw))


def test_a_bar_counts_done_of_total_and_resumed_items_count_as_done():
    tty = FakeTTY()
    bar = Progress(stream=tty).bar("generate toy · oracle", 6, done=2)
    assert "2/6" in tty.getvalue()
    bar.update(4)
    bar.close()
    assert "generate toy · oracle" in tty.getvalue() and "6/6" in tty.getvalue()


def test_no_bar_on_a_stream_that_is_not_a_terminal_nor_with_progress_off():
    for stream, enabled in ((io.StringIO(), True), (FakeTTY(), False)):
        bar = Progress(enabled=enabled, stream=stream).bar("x", 3)
        bar.update(3)
        bar.close()
        assert stream.getvalue() == ""


def test_a_run_draws_generate_extract_and_score_bars_on_a_terminal(tmp_path, toys):
    tty = FakeTTY()
    rep = _run(tmp_path, toys, Progress(stream=tty))
    text = tty.getvalue()
    assert re.search(r"generate toy_tones · toy_slow: 100%.*6/6", text)
    assert "extract toy_tones · toy_slow · toy_rms (gen)" in text  # transient: drawn, then cleared
    assert re.search(r"score toy_tones · toy_slow · meanrms@toy: 100%.*2/2", text)
    quiet = _run(tmp_path / "again", toys, Progress(enabled=False, stream=FakeTTY()))
    assert quiet.results["metrics"] == rep.results["metrics"]  # bars never touch the numbers


def test_a_resumed_run_starts_its_generation_bar_at_the_items_on_disk(tmp_path, toys):
    _run(tmp_path, toys, False, limit=4)
    tty = FakeTTY()
    _run(tmp_path, toys, Progress(stream=tty, prefix="[2/3] "))
    assert "[2/3] generate toy_tones · toy_slow:  67%" in tty.getvalue()  # 4 of 6 already there
    assert "6/6" in tty.getvalue()


def test_progress_goes_to_stderr_only_when_it_is_a_terminal(tmp_path, toys, capsys):
    _run(tmp_path, toys, True)  # pytest's captured stderr is not a terminal
    assert capsys.readouterr().err == ""
