"""The published-number CSVs reproduce the UNISON paper's tables.

Each test rebuilds the row text exactly as the paper prints it (labels and numbers run together)
from the CSV rows, and looks for it in the paper's text: a wrong, missing or misplaced number
fails. Whitespace and the arrows in headers are ignored.
"""
from __future__ import annotations

import csv
import os
from collections import OrderedDict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "leaderboards" / "published"


def _paper_text() -> str:
    explicit = os.environ.get("UNISON_PAPER_TXT")
    candidates = [Path(explicit)] if explicit else sorted((ROOT.parent / "shared" / "papers").glob("000_*.txt"))
    if not candidates or not candidates[0].is_file():
        pytest.skip("UNISON paper text not found: set UNISON_PAPER_TXT=/path/to/000_*.txt")
    return _norm(candidates[0].read_text(encoding="utf-8"))


def _norm(s: str) -> str:
    return "".join(ch for ch in s if not ch.isspace() and ch not in "↑↓")


def _groups(table: str) -> "OrderedDict[tuple[str, str], list[dict]]":
    out: OrderedDict[tuple[str, str], list[dict]] = OrderedDict()
    with open(PUBLISHED / f"{table}.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            assert row["table"] == table
            assert row["direction"] in {"lower", "higher"}
            assert "@" in row["protocol"], f"{table}: protocol must be name@variant: {row}"
            out.setdefault((row["subset"], row["system"]), []).append(row)
    return out


def _short(system: str) -> str:  # "UNISON (D24)" is printed as "D24" in the per-metric tables
    return system.removeprefix("UNISON (").removesuffix(")")


def _expect(paper: str, printed: str) -> None:
    assert _norm(printed) in paper, f"not in the paper as printed: {printed!r}"


def test_every_table_has_a_csv():
    names = {p.stem for p in PUBLISHED.glob("*.csv")}
    assert names == {"t2a_audiocaps", "tts_seedtts", "gender_tts", "t2as", "editing",
                     "speech_in_scene", "timed_clap", "ablations"}


@pytest.mark.parametrize("table", ["t2a_audiocaps", "tts_seedtts"])
def test_system_rows(table):
    paper = _paper_text()
    groups = _groups(table)
    assert len(groups) == {"t2a_audiocaps": 10, "tts_seedtts": 10}[table]
    for (_, system), rows in groups.items():
        _expect(paper, system + rows[0]["params"] + "".join(r["value"] for r in rows))


def test_ablations():
    paper = _paper_text()
    groups = _groups("ablations")
    assert len(groups) == 5
    for (arch, conditioning), rows in groups.items():
        _expect(paper, conditioning + arch + rows[0]["params"] + "".join(r["value"] for r in rows))


def test_editing():
    paper = _paper_text()
    by_subset: OrderedDict[str, list] = OrderedDict()
    for (subset, system), rows in _groups("editing").items():
        by_subset.setdefault(subset, []).append((system, rows))
    assert list(by_subset) == ["add", "remove", "replace", "overall"]
    for subset, systems in by_subset.items():
        (gt_name, gt_rows), (first, first_rows), *rest = systems
        assert gt_name == "Pseudo-GT" and len(rest) == 5
        _expect(paper, f"{subset.capitalize()} (GT CLAP {gt_rows[0]['value']})" + first
                + "".join(r["value"] for r in first_rows))
        for system, rows in rest:
            _expect(paper, system + "".join(r["value"] for r in rows))


def test_speech_in_scene():
    paper = _paper_text()
    seen = set()
    for (subset, system), rows in _groups("speech_in_scene").items():
        label = _short(system) + "".join(r["value"] for r in rows)
        _expect(paper, (subset.capitalize() if subset not in seen else "") + label)
        seen.add(subset)
    assert seen == {"insert", "delete", "rewrite"}


@pytest.mark.parametrize("table,n_metrics", [("gender_tts", 7), ("timed_clap", 2), ("t2as", 4)])
def test_metric_rows(table, n_metrics):
    """Tables printed one metric per line with a D24 and a D20 column."""
    paper = _paper_text()
    groups = _groups(table)
    d24 = {r["metric"]: r["value"] for r in groups[("", "UNISON (D24)")]}
    d20 = {r["metric"]: r["value"] for r in groups[("", "UNISON (D20)")]}
    assert len(d24) == len(d20) == n_metrics
    gt = {r["metric"]: r["value"] for r in groups.get(("", "Pseudo-GT (0 dB mix)"), [])}
    for metric in d24:
        label = metric + (f" (GT: {gt[metric]})" if metric in gt else "")
        _expect(paper, label + d24[metric] + d20[metric])
