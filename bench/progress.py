"""Progress bars of the long stages of a run (generate, extract, score): done / total and ETA.

Bars are drawn only on a terminal: on a pipe, a CI log or a file the carriage-return redraws are
noise, so a stream that is not a TTY (or ``--no-progress``) gets nothing at all. Progress never
touches the numbers a run computes.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass
class Progress:
    enabled: bool = True
    stream: TextIO | None = None  # where bars go; None = sys.stderr at the time a bar starts
    leave: bool = True  # keep a finished bar on screen (False: the caller prints its own summary line)
    prefix: str = ""  # before every description, e.g. "[3/36] " for the default's runs
    position: int | None = None  # terminal line of the bar (tqdm's position): one per `default --jobs` worker

    @classmethod
    def of(cls, progress: "bool | Progress") -> "Progress":
        """The old ``progress=True/False`` flag or a Progress as it is."""
        return progress if isinstance(progress, Progress) else cls(enabled=bool(progress))

    def target(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def shown(self) -> bool:
        isatty = getattr(self.target(), "isatty", None)
        return bool(self.enabled and isatty is not None and isatty())

    def bar(self, desc: str, total: int, done: int = 0, unit: str = "item", leave: bool | None = None) -> Any:
        """A tqdm bar at ``done`` of ``total`` (work resumed from disk counts as done; the ETA is
        computed from this invocation's rate only). A disabled bar accepts the same calls."""
        from tqdm import tqdm

        width = None if self._width_known() else 100
        return tqdm(total=total, initial=done, desc=self.prefix + desc, unit=unit, file=self.target(),
                    disable=not self.shown(), leave=self.leave if leave is None else leave,
                    dynamic_ncols=width is None, ncols=width, position=self.position)

    def _width_known(self) -> bool:
        """False for a terminal that reports 0 columns (some ptys do), where tqdm would draw an
        empty bar; such a terminal gets a fixed 100-column bar."""
        try:
            return os.get_terminal_size(self.target().fileno()).columns > 0
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return True  # not a real descriptor (a test's stream): tqdm's own default applies


def add_no_progress(p: argparse.ArgumentParser) -> None:
    """``--no-progress``, spelled the same in every subcommand that draws bars."""
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (they are drawn only when stderr is a terminal anyway)")
