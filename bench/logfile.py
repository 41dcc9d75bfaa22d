"""Everything a run says goes to a log file; the terminal keeps only the harness's own lines.

Inside ``log_to_file(path)``: every log record (ours at INFO and up, and those of third-party
loggers: transformers, huggingface_hub, torch, numba, ...), every ``warnings.warn`` and every stray
print to ``sys.stdout`` / ``sys.stderr`` (libraries announcing a missing ffmpeg or drawing their own
de-quantisation bars while a model loads) is appended to the file. The terminal gets the records of
our own loggers (``bench``, ``unison``, ``suites``) at WARNING and up, any logger's ERROR and up, and
what the caller writes to the streams it is handed; with ``verbose`` it gets every record too.

The capture is at the Python level (``sys.stdout``/``sys.stderr`` swapped), not at the file
descriptors: the notices seen in the default's runs are all Python prints, warnings or log records,
and the TTS engines' and other subprocesses' output is captured by their callers. Output written by
C code straight to descriptor 1 or 2 still reaches the terminal.

The file is opened for appending and line-buffered, so a killed run leaves every line up to the
kill. Everything swapped in (root handlers and level, third-party loggers' own handlers, warnings
filters and ``showwarning``, sys.stdout/sys.stderr) is put back on exit.
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

OURS = ("bench", "unison", "suites")  # logger names whose warnings are for the user
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def is_ours(name: str) -> bool:
    return name.split(".")[0] in OURS


@dataclass
class Terminal:
    """Where the harness's own output goes while the capture is on, and the log file's path."""
    out: TextIO
    err: TextIO
    log: Path


class _Sink(io.TextIOBase):
    """Stands in for sys.stdout / sys.stderr: writes into the log file. A library that kept a
    reference to it (e.g. a logging handler made while the capture was on) falls back to the
    original stream once the file is closed, instead of failing on a closed file."""

    def __init__(self, file: TextIO, fallback: TextIO):
        self._file, self._fallback = file, fallback

    def write(self, s: str) -> int:
        (self._fallback if self._file.closed else self._file).write(s)
        return len(s)

    def flush(self) -> None:
        (self._fallback if self._file.closed else self._file).flush()

    def isatty(self) -> bool:  # libraries draw no bars of their own into the file
        return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class _TerminalFilter(logging.Filter):
    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose or record.levelno >= logging.ERROR:
            return True
        return record.levelno >= logging.WARNING and is_ours(record.name)


class _TerminalFormatter(logging.Formatter):
    """Our own lines concise ("warning: ..."); with the logger's name only when it is not ours."""

    def format(self, record: logging.LogRecord) -> str:
        level = record.levelname.lower()
        head = level if is_ours(record.name) else f"{level} {record.name}"
        return f"{head}: {super().format(record)}"


def _warning_to_log(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the capture: a warning is a record of the py.warnings logger
    (as with logging.captureWarnings, whose global switch we leave alone)."""
    text = warnings.formatwarning(message, category, filename, lineno, line).rstrip()
    logging.getLogger("py.warnings").warning("%s", text)


class _TerminalHandler(logging.StreamHandler):
    """Writes through tqdm so a line printed while a bar is drawn does not break the bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def _detach_own_handlers() -> list[tuple[logging.Logger, list[logging.Handler], bool]]:
    """Third-party loggers that print to the console themselves (transformers installs a stderr
    handler and stops propagation) hand their records to the root logger for the duration."""
    saved = []
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger) or is_ours(logger.name):
            continue
        consoles = [h for h in logger.handlers
                    if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]
        if consoles or not logger.propagate:
            saved.append((logger, list(logger.handlers), logger.propagate))
            for h in consoles:
                logger.removeHandler(h)
            logger.propagate = True
    return saved


@contextlib.contextmanager
def log_to_file(path: Path, verbose: bool = False, out: TextIO | None = None,
                err: TextIO | None = None) -> Iterator[Terminal]:
    """Capture as the module docstring says; yields the Terminal our own output must be written to
    (``out``/``err`` default to the sys.stdout/sys.stderr of the moment). An exception leaving the
    block is written to the file with its traceback, then raised on (the caller prints its line)."""
    term = Terminal(out=out or sys.stdout, err=err or sys.stderr, log=Path(path))
    term.log.parent.mkdir(parents=True, exist_ok=True)
    file = open(term.log, "a", buffering=1, encoding="utf-8", errors="replace")  # line-buffered: kill-safe
    file.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv)}\n")

    to_file = logging.StreamHandler(file)
    to_file.setFormatter(logging.Formatter(FILE_FORMAT))
    to_term = _TerminalHandler(term.err)
    to_term.addFilter(_TerminalFilter(verbose))
    to_term.setFormatter(_TerminalFormatter())
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    for h in saved_root[1]:
        root.removeHandler(h)
    root.addHandler(to_file)
    root.addHandler(to_term)
    root.setLevel(logging.INFO)
    saved_loggers = _detach_own_handlers()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(_Sink(file, term.out)), \
                contextlib.redirect_stderr(_Sink(file, term.err)):
            warnings.showwarning = _warning_to_log  # catch_warnings puts the previous one back
            yield term
    except BaseException:
        file.write(traceback.format_exc())
        raise
    finally:
        root.removeHandler(to_file)
        root.removeHandler(to_term)
        for h in saved_root[1]:
            root.addHandler(h)
        root.setLevel(saved_root[0])
        for logger, handlers, propagate in saved_loggers:
            logger.handlers[:] = handlers
            logger.propagate = propagate
        file.close()
