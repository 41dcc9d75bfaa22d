"""The conformance tier: our extractors and metric recipes against the reference projects' own
code, same weights, same real clips. Each test records what it measured through ``record``; with
$CONFORMANCE_TABLE set, the session writes those rows as a Markdown table to that file
(scripts/conformance_table.py does this and prints it)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The tiny-model builders of the extractor tests (whisper_tiny, paraformer_tiny) are reused here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extractors"))

_ROWS: list[dict] = []


@pytest.fixture
def record():
    """record(what, reference, compared, max_diff, tolerance=..., at_least=...): one row of the
    table, asserted here so the number in the table is the one the test checked. ``tolerance``
    bounds an agreement; ``at_least`` is for a measured effect of a choice (it must show)."""

    def _record(what: str, reference: str, compared: str, max_diff: float, tolerance: float | None = None,
                at_least: float | None = None, note: str = "") -> None:
        if (tolerance is None) == (at_least is None):
            raise TypeError("record: give exactly one of tolerance / at_least")
        _ROWS.append({"what": what, "reference": reference, "compared": compared, "max_diff": float(max_diff),
                      "bound": f"≤ {_fmt(tolerance)}" if tolerance is not None else f"≥ {_fmt(at_least)} (effect)",
                      "note": note})
        if tolerance is not None:
            assert max_diff <= tolerance, f"{what}: {compared}: max difference {max_diff:.3g} > {tolerance:.3g}"
        else:
            assert max_diff >= at_least, f"{what}: {compared}: effect {max_diff:.3g} < {at_least:.3g}"

    return _record


def _fmt(x: float) -> str:
    if x == float("-inf"):
        return "−∞ (bit-identical)"
    return "0" if x == 0 else f"{x:.3g}" if abs(x) >= 1 else f"{x:.2g}"


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("CONFORMANCE_TABLE")
    if not out or not _ROWS:
        return
    lines = ["| extractor / metric | reference (package version) | compared | max difference | bound |",
             "|---|---|---|---|---|"]
    for r in sorted(_ROWS, key=lambda r: r["what"].lower()):
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {r['what']} | {r['reference']} | {r['compared']}{note} | {_fmt(r['max_diff'])} | "
                     f"{r['bound']} |")
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
