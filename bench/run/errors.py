"""How the run stages report what went wrong: one line per error, and the reason a cell is empty."""
from __future__ import annotations


class Unavailable(Exception):
    """A metric cell cannot be computed here; the message is the reason shown in tables."""


def one_line(e: BaseException) -> str:
    """``Type: message``, first line, at most 500 characters (what cells and logs show)."""
    return f"{type(e).__name__}: {e}".splitlines()[0][:500]
