"""The published-number CSVs reproduce the papers' results tables.

``leaderboards/published/sources/<paper>.tables.txt`` holds the verbatim text of one paper's results
tables: a first line ``# <paper title> | sha256 <hex>`` (the SHA-256 of the full text file the
excerpt was cut from), then one block per table, each opened by ``@@ <table> | <what it is>``.

Each test rebuilds rows exactly as the table prints them (labels and numbers run together) from the
CSV rows and looks them up in that table's blocks: a wrong, missing or misplaced number fails.
Whitespace, arrows, the cell separators ``/`` and ``|`` and the bold / underline markup of the
extracted text are ignored. A cell whose printed text is not its value (a mean printed with its
± interval, a number garbled by slide OCR, an empty value left untranscribed) has a note beginning
``printed "<text>"``, and the row is rebuilt with that text. These checks need nothing outside the
repository.

With UNISON_PAPERS_DIR naming a folder that holds the papers' full text files,
test_excerpts_are_verbatim_in_their_paper also checks every block against its paper; without it that
test alone skips.
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "leaderboards" / "published"
SOURCE_FILES = sorted((PUBLISHED / "sources").glob("*.tables.txt"))
PAPERS_ENV = "UNISON_PAPERS_DIR"
FIELDS = ["table", "subset", "system", "params", "metric", "value", "direction", "protocol", "note"]

HEADER = re.compile(r"# (?P<title>.+) \| sha256 (?P<sha256>[0-9a-f]{64})")
BLOCK = re.compile(r"@@ (?P<table>\w+)(?: \| .*)?")
IGNORED = re.compile(r"\s|[↑↓/|]|</?[bu]>")
PRINTED = re.compile(r'printed "(?P<text>[^"]*)"')

# How many cells (CSV rows) each table holds: a dropped row fails even where the rebuilt line would not.
CELLS = {"t2a_audiocaps": 49, "tts_seedtts": 24, "gender_tts": 14, "t2as": 9, "editing": 76, "speech_in_scene": 28,
         "timed_clap": 4, "ablations": 15,
         "uniflow_tts": 8, "uniflow_svs": 8, "uniflow_t2a": 4, "uniflow_t2m": 4, "uniflow_se": 6, "uniflow_sr": 4,
         "uniflow_v2a": 8, "uniflow_sizes": 28, "uniflow_ablations": 35, "uniflow_vae": 8,
         "survey_speechx_main": 51, "survey_speechx_text_prompt": 12, "survey_speechx_task_ablation": 28,
         "survey_makeavoice_tts": 24, "survey_makeavoice_vc": 10, "survey_makeavoice_svs": 13,
         "survey_makeavoice_ablation": 7, "survey_mvoice_scaling": 9, "survey_mvoice_vc_svc": 14,
         "survey_uniaudio_codec": 40, "survey_uniaudio_vc": 12, "survey_uniaudio_se": 12, "survey_uniaudio_tse": 12,
         "survey_uniaudio_sound": 6, "survey_uniaudio_music": 4, "survey_uniaudio_audio_edit": 6,
         "survey_uniaudio_dereverb": 6, "survey_uniaudio_itts": 6, "survey_uniaudio_speech_edit": 6}
# Tables printed one line per system: label, params, then the cells in CSV order.
SYSTEM_ROWS = ["t2a_audiocaps", "tts_seedtts", "survey_speechx_text_prompt", "survey_speechx_task_ablation",
               "survey_makeavoice_tts", "survey_makeavoice_vc", "survey_makeavoice_svs", "survey_makeavoice_ablation",
               "survey_mvoice_scaling", "survey_mvoice_vc_svc"]
UNIFLOW_TASKS = ["uniflow_tts", "uniflow_svs", "uniflow_t2a", "uniflow_t2m", "uniflow_se", "uniflow_sr", "uniflow_v2a"]
UNIAUDIO_TASKS = ["survey_uniaudio_vc", "survey_uniaudio_se", "survey_uniaudio_tse", "survey_uniaudio_sound",
                  "survey_uniaudio_music", "survey_uniaudio_audio_edit", "survey_uniaudio_dereverb",
                  "survey_uniaudio_itts", "survey_uniaudio_speech_edit"]
OWN_LAYOUT = ["ablations", "editing", "speech_in_scene", "gender_tts", "timed_clap", "t2as", "uniflow_sizes",
              "uniflow_ablations", "uniflow_vae", "survey_speechx_main", "survey_uniaudio_codec"]
CHECKED = [*SYSTEM_ROWS, *UNIFLOW_TASKS, *UNIAUDIO_TASKS, *OWN_LAYOUT]


def _norm(s: str) -> str:
    return IGNORED.sub("", s)


@lru_cache(maxsize=None)
def _read_source(path: Path) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """(paper title, sha256, ((table, verbatim block), ...)) of one excerpt file."""
    first, *lines = path.read_text(encoding="utf-8").splitlines()
    head = HEADER.fullmatch(first)
    assert head, f"{path.name}: the first line must be '# <paper title> | sha256 <64 hex>'"
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        opened = BLOCK.fullmatch(line)
        if opened:
            blocks.append((opened["table"], []))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            assert line.startswith("#"), f"{path.name}: only '#' comment lines may precede the first block"
    return head["title"], head["sha256"], tuple((t, "\n".join(b)) for t, b in blocks)


def _blocks(table: str) -> list[str]:
    """The table's excerpt blocks, normalised."""
    found = [_norm(text) for p in SOURCE_FILES for t, text in _read_source(p)[2] if t == table]
    assert found, f"{table}: no excerpt block"
    return found


def _rows(table: str) -> list[dict]:
    with open(PUBLISHED / f"{table}.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == FIELDS, f"{table}.csv: columns must be {FIELDS}"
        return list(reader)


def _groups(table: str) -> "OrderedDict[tuple[str, str], list[dict]]":
    out: OrderedDict[tuple[str, str], list[dict]] = OrderedDict()
    for row in _rows(table):
        out.setdefault((row["subset"], row["system"]), []).append(row)
    return out


def _printed(row: dict) -> str:
    """The cell as the table prints it: the note's ``printed "..."`` text, else the value."""
    m = PRINTED.match(row["note"])
    return m["text"] if m else row["value"]


def _cells(rows: list[dict]) -> str:
    return "".join(map(_printed, rows))


def _expect(blocks: list[str], printed: str) -> None:
    assert any(_norm(printed) in b for b in blocks), f"not in the table as printed: {printed!r}"


def _expect_in_order(blocks: list[str], parts: list[str]) -> None:
    """The parts appear one after the other (other text may sit between them) in one block."""
    def found_in(block: str) -> bool:
        at = 0
        for part in map(_norm, parts):
            at = block.find(part, at)
            if at < 0:
                return False
            at += len(part)
        return True
    assert any(found_in(b) for b in blocks), f"not in the table in this order: {parts!r}"


def _short(system: str) -> str:  # "UNISON (D24)" is printed as "D24" in the per-metric tables
    return system.removeprefix("UNISON (").removesuffix(")")


def _interleaved(systems: list[list[dict]]) -> list[str]:
    """Cells of systems printed on one line, column by column (a's first cell, b's first cell, ...)."""
    return [_printed(r) for column in zip(*systems, strict=True) for r in column]


# ---------------------------------------------------------------- every table

def test_every_table_has_a_csv():
    csvs = {p.stem for p in PUBLISHED.glob("*.csv")}
    excerpted = {t for p in SOURCE_FILES for t, _ in _read_source(p)[2]}
    assert csvs == excerpted
    assert sorted(csvs) == sorted(CHECKED) == sorted(CELLS)  # and every table's rows are rebuilt by a test below


@pytest.mark.parametrize("table", sorted(CHECKED))
def test_rows_are_well_formed(table):
    blocks = _blocks(table)
    rows = _rows(table)
    assert len(rows) == CELLS[table]
    for row in rows:
        assert row["table"] == table
        assert row["direction"] in {"lower", "higher"}, row
        assert re.fullmatch(r"[\w.+-]+@[\w.+-]+", row["protocol"]), f"protocol must be name@variant: {row}"
        if row["value"]:
            assert _printed(row).startswith(row["value"]), f"the value must open its printed text: {row}"
            _expect(blocks, row["value"])
        else:  # a cell left untranscribed says what the table prints there
            assert PRINTED.match(row["note"]), f"an empty value needs a 'printed \"...\"' note: {row}"


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_excerpts_are_verbatim_in_their_paper(path):
    papers = os.environ.get(PAPERS_ENV)
    if not papers:
        pytest.skip(f"set {PAPERS_ENV} to a folder holding the papers' full text files (UTF-8); each is found "
                    f"by the SHA-256 on the first line of leaderboards/published/sources/{path.name}")
    assert Path(papers).is_dir(), f"{PAPERS_ENV}={papers} is not a folder"
    title, sha256, blocks = _read_source(path)
    digests = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in Path(papers).iterdir() if p.is_file()}
    assert sha256 in digests, (f"{PAPERS_ENV}={papers} holds no file with SHA-256 {sha256} ({title}); "
                               f"its files: {sorted((p.name, d) for d, p in digests.items())}")
    paper = _norm(digests[sha256].read_text(encoding="utf-8"))
    for table, text in blocks:
        assert _norm(text), f"{path.name}: empty block for {table}"
        assert _norm(text) in paper, f"{path.name}: the {table} block is not verbatim in {digests[sha256].name}"


# ---------------------------------------------------------------- one line per system

@pytest.mark.parametrize("table", SYSTEM_ROWS)
def test_system_rows(table):
    blocks = _blocks(table)
    for (_, system), rows in _groups(table).items():
        _expect(blocks, system + rows[0]["params"] + _cells(rows))


# ---------------------------------------------------------------- UNISON

def test_ablations():
    blocks = _blocks("ablations")
    groups = _groups("ablations")
    assert len(groups) == 5
    for (arch, conditioning), rows in groups.items():
        _expect(blocks, conditioning + arch + rows[0]["params"] + _cells(rows))


def test_editing():
    blocks = _blocks("editing")
    by_subset: OrderedDict[str, list] = OrderedDict()
    for (subset, system), rows in _groups("editing").items():
        by_subset.setdefault(subset, []).append((system, rows))
    assert list(by_subset) == ["add", "remove", "replace", "overall"]
    for subset, systems in by_subset.items():
        (gt_name, gt_rows), (first, first_rows), *rest = systems
        assert gt_name == "Pseudo-GT" and len(rest) == 5
        _expect(blocks, f"{subset.capitalize()} (GT CLAP {gt_rows[0]['value']})" + first + _cells(first_rows))
        for system, rows in rest:
            _expect(blocks, system + _cells(rows))


def test_speech_in_scene():
    blocks = _blocks("speech_in_scene")
    seen = set()
    for (subset, system), rows in _groups("speech_in_scene").items():
        label = _short(system) + _cells(rows)
        _expect(blocks, (subset.capitalize() if subset not in seen else "") + label)
        seen.add(subset)
    assert seen == {"insert", "delete", "rewrite"}


@pytest.mark.parametrize("table,n_metrics", [("gender_tts", 7), ("timed_clap", 2), ("t2as", 4)])
def test_metric_rows(table, n_metrics):
    """Tables printed one metric per line with a D24 and a D20 column."""
    blocks = _blocks(table)
    groups = _groups(table)
    d24 = {r["metric"]: r["value"] for r in groups[("", "UNISON (D24)")]}
    d20 = {r["metric"]: r["value"] for r in groups[("", "UNISON (D20)")]}
    assert len(d24) == len(d20) == n_metrics
    gt = {r["metric"]: r["value"] for r in groups.get(("", "Pseudo-GT (0 dB mix)"), [])}
    for metric in d24:
        label = metric + (f" (GT: {gt[metric]})" if metric in gt else "")
        _expect(blocks, label + d24[metric] + d20[metric])


# ---------------------------------------------------------------- UniFlow-Audio

@pytest.mark.parametrize("table", UNIFLOW_TASKS)
def test_uniflow_task_line(table):
    """Table 1 prints a task per line: task, baseline, UniFlow-Audio, then per column group (subset:
    objective, subjective) the headers, the baseline's cells and UniFlow-Audio's cells."""
    blocks = _blocks(table)
    by_subset: OrderedDict[str, list] = OrderedDict()
    for (subset, system), rows in _groups(table).items():
        by_subset.setdefault(subset, []).append((system, rows))
    (baseline, _), (ours, _) = by_subset["objective"]
    assert ours == "UniFlow-Audio" and set(by_subset) <= {"objective", "subjective"}
    _expect(blocks, table.removeprefix("uniflow_").upper() + baseline)
    for systems in by_subset.values():
        assert [s for s, _ in systems] == [baseline, ours]
        headers = "".join(r["metric"] for r in systems[0][1])
        _expect(blocks, headers + "".join(_cells(rows) for _, rows in systems))


def test_uniflow_sizes():
    """Table 2 prints the T2M FD cells of all three sizes on the small row."""
    blocks = _blocks("uniflow_sizes")
    groups = {system: rows for (_, system), rows in _groups("uniflow_sizes").items()}
    sizes = [f"UniFlow-Audio {size}" for size in ("small", "medium", "large")]
    assert list(groups) == ["Prior Works", *sizes]
    t2m = [next(r for r in groups[s] if r["metric"] == "T2M FD") for s in sizes]
    moved = {id(r): "" for r in t2m} | {id(t2m[0]): _cells(t2m)}  # cell id -> what its row prints there
    for system, rows in groups.items():
        _expect(blocks, system + rows[0]["params"] + "".join(moved.get(id(r), _printed(r)) for r in rows))


def test_uniflow_ablations():
    blocks = _blocks("uniflow_ablations")
    groups = {system: rows for (_, system), rows in _groups("uniflow_ablations").items()}
    merged = ["w. cross attention", "w. double fusion"]  # printed on one line, their cells alternating
    assert len(groups) == 5
    for system, rows in groups.items():
        if system not in merged:
            _expect(blocks, system + _cells(rows))
    _expect_in_order(blocks, merged + _interleaved([groups[s] for s in merged]))


def test_uniflow_vae():
    """Both VAEs on one line ("EzAudio VAE Ours"), each column holding the two cells."""
    systems = list(_groups("uniflow_vae").values())
    assert len(systems) == 2
    _expect_in_order(_blocks("uniflow_vae"), ["EzAudio VAE Ours"] + _interleaved(systems))


# ---------------------------------------------------------------- survey deck

def test_speechx_main():
    """The expert models share one row: their names on one line, all their cells on the next."""
    blocks = _blocks("survey_speechx_main")
    experts: OrderedDict[str, list[dict]] = OrderedDict()
    for (_, system), rows in _groups("survey_speechx_main").items():
        if system.startswith("Expert model ("):
            experts[system.removeprefix("Expert model (").removesuffix(")")] = rows
        else:
            _expect(blocks, system + _cells(rows))
    assert list(experts) == ["DCCRN", "VoiceFilter", "VALL-E", "A3T"]
    _expect_in_order(blocks, ["Expert model", *experts, "".join(map(_cells, experts.values()))])


def test_uniaudio_codec():
    """Rows print a label ("Encodec", "Ours", once OCR'd "Qurs"), then n_q FPS TPS (the CSV's params) and
    the cells; the lookup starts at n_q."""
    blocks = _blocks("survey_uniaudio_codec")
    by_config: OrderedDict[str, list[dict]] = OrderedDict()
    for row in _rows("survey_uniaudio_codec"):
        by_config.setdefault(row["params"], []).append(row)
    assert len(by_config) == 4
    for config, rows in by_config.items():
        _expect(blocks, config + _cells(rows))


@pytest.mark.parametrize("table", UNIAUDIO_TASKS)
def test_uniaudio_task_rows(table):
    """A system's line: its label, then its objective cells, then its subjective cells; the section's
    metric names, printed on its first lines between those, are skipped."""
    blocks = _blocks(table)
    parts: OrderedDict[str, list[str]] = OrderedDict()
    for (_, system), rows in _groups(table).items():
        parts.setdefault(system, [system]).append(_cells(rows))
    assert len(parts) in (2, 3)
    for system_parts in parts.values():
        _expect_in_order(blocks, system_parts)
