"""Third-party notices go to the log file, our own lines to the terminal; nothing leaks after."""
import io
import logging
import sys
import types
import warnings

from bench.logfile import log_to_file

RESUME = "toy_slow: 4 of 6 items already generated (resumed from disk), 2 to generate"


def third_party_module(name: str = "somelib") -> types.ModuleType:
    """A module that warns from its own file, as an installed library would."""
    mod = types.ModuleType(name)
    src = "import warnings\ndef load():\n    warnings.warn('some weights of the checkpoint were not used', UserWarning)\n"
    exec(compile(src, f"/site-packages/{name}/__init__.py", "exec"), mod.__dict__)
    return mod


def _state():
    root = logging.getLogger()
    tf = logging.getLogger("transformers")
    return (root.level, list(root.handlers), tf.propagate, list(tf.handlers), list(warnings.filters),
            warnings.showwarning, sys.stdout, sys.stderr)


def _noisy_load():
    third_party_module().load()
    logging.getLogger("transformers").warning("Some weights of WhisperModel were not initialized")
    logging.getLogger("bench.run.generate").info(RESUME)
    print("Notice: ffmpeg is not installed. torchaudio is used to load audio")
    print("Converting and de-quantizing GGUF tensors: 100%", file=sys.stderr)
    logging.getLogger("bench.run.pipeline").warning("system toy unavailable: no weights")


def test_third_party_notices_land_in_the_log_and_not_on_the_terminal(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    # transformers attaches a stderr handler and stops propagation: the capture must see through it
    tf = logging.getLogger("transformers")
    own, was = logging.StreamHandler(err), tf.propagate
    tf.addHandler(own)
    tf.propagate = False
    try:
        before = _state()
        with log_to_file(tmp_path / "run" / "log.txt", out=out, err=err) as term:
            _noisy_load()
            print("| metric | value |", file=term.out)
        assert _state() == before  # handlers, filters, showwarning and streams all put back
    finally:
        tf.removeHandler(own)
        tf.propagate = was
    log = (tmp_path / "run" / "log.txt").read_text()
    for line in ("some weights of the checkpoint were not used", "/site-packages/somelib/__init__.py",
                 "WARNING transformers: Some weights of WhisperModel", f"INFO bench.run.generate: {RESUME}",
                 "Notice: ffmpeg is not installed", "de-quantizing GGUF", "system toy unavailable"):
        assert line in log, line
    terminal = out.getvalue() + err.getvalue()
    assert out.getvalue() == "| metric | value |\n"
    assert err.getvalue() == "warning: system toy unavailable: no weights\n"  # ours, concise
    for noise in ("some weights", "Some weights", "ffmpeg", "GGUF", "resumed"):
        assert noise not in terminal


def test_verbose_sends_everything_to_the_terminal_too(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    with log_to_file(tmp_path / "log.txt", verbose=True, out=out, err=err):
        third_party_module().load()
        logging.getLogger("transformers").warning("Some weights of WhisperModel were not initialized")
        logging.getLogger("bench.run.generate").info(RESUME)
    assert "some weights of the checkpoint were not used" in err.getvalue()
    assert "warning transformers: Some weights" in err.getvalue() and RESUME in err.getvalue()
    assert RESUME in (tmp_path / "log.txt").read_text()


def test_errors_reach_the_terminal_and_the_traceback_the_log(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    try:
        with log_to_file(tmp_path / "log.txt", out=out, err=err):
            logging.getLogger("ctranslate2").error("could not load the model")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert "error ctranslate2: could not load the model" in err.getvalue()
    log = (tmp_path / "log.txt").read_text()
    assert "Traceback" in log and "RuntimeError: boom" in log


def test_the_log_is_appended_to_and_written_line_by_line(tmp_path):
    path = tmp_path / "log.txt"
    with log_to_file(path, out=io.StringIO(), err=io.StringIO()):
        logging.getLogger("bench.x").info("first invocation")
        assert "first invocation" in path.read_text()  # on disk already: a kill loses nothing written
    with log_to_file(path, out=io.StringIO(), err=io.StringIO()):
        logging.getLogger("bench.x").info("second invocation")
    text = path.read_text()
    assert text.index("first invocation") < text.index("second invocation") and text.count("==== ") == 2


def test_a_stream_kept_by_a_library_falls_back_to_the_terminal_after(tmp_path):
    err = io.StringIO()
    with log_to_file(tmp_path / "log.txt", out=io.StringIO(), err=err):
        kept = sys.stderr  # e.g. a StreamHandler a library made during the run
    kept.write("later\n")
    assert err.getvalue() == "later\n"
