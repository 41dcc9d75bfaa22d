"""argparse types that range-check numbers, so a bad value is a usage error (exit 2) naming the
option ("argument --limit: must be an integer >= 1, got '0'") before any work starts."""
from __future__ import annotations

import argparse
import math
from typing import Callable


def _bounds(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"between {lo:g} and {hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def int_in(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An integer within [lo, hi] (either bound may be None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer {_bounds(lo, hi)}, got {text!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be an integer {_bounds(lo, hi)}, got {text!r}")
        return value
    parse.__name__ = "integer"
    return parse


def float_in(lo: float | None = None, hi: float | None = None, *, above: bool = False) -> Callable[[str], float]:
    """A finite number within [lo, hi]; ``above=True`` makes the lower bound strict (> lo)."""
    rule = (f"> {lo:g}" + (f" and <= {hi:g}" if hi is not None else "")) if above and lo is not None else _bounds(lo, hi)

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a finite number {rule}, got {text!r}") from None
        low_ok = lo is None or (value > lo if above else value >= lo)
        if not math.isfinite(value) or not low_ok or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be a finite number {rule}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


SEED = int_in(0, 2**63 - 1)  # seeds feed sha256-derived generator seeds; negative ones are a typo
