"""docs/adding.md is the whole recipe for extending bench: its worked example (the `pitch` suite, the
`pitch-err@fft-16k` metric, the `sine` system), written into a copy of the harness exactly as the
guide shows it, registers through the files the guide names and runs end to end with the harness's
own commands, with no other file changed."""
from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "adding.md"
PACKAGES = ("bench", "suites")
# a code block the guide asks to write: "```<lang> <path>" (a whole new file) or "```<lang> <path> +"
# (lines to add to that catalog's dict)
BLOCK = re.compile(r"^```(?P<lang>\w+) (?P<path>[\w./-]+)(?P<add> \+)?\n(?P<text>.*?)^```$", re.M | re.S)


def guide_blocks() -> list[tuple[str, str, bool]]:
    return [(m["path"], m["text"], bool(m["add"])) for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))]


def sources(root: Path) -> dict[str, str]:
    """Path -> text of every source and suite file of the harness under ``root``."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for pkg in PACKAGES for p in sorted((root / pkg).rglob("*"))
            if p.suffix in (".py", ".yaml") and "__pycache__" not in p.parts and "baselines" not in p.parts}


def add_to_catalog(path: Path, lines: str) -> None:
    """Into the catalog's dict: before its closing brace, the last one of the file."""
    text = path.read_text(encoding="utf-8")
    at = text.rstrip().rfind("}")
    path.write_text(text[:at] + lines + text[at:], encoding="utf-8")


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(a copy of bench/ and suites/ with the guide's files written into it, the copy's sources before)."""
    root = tmp_path_factory.mktemp("extended")
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, root / pkg, ignore=shutil.ignore_patterns("__pycache__", "baselines"))
    before = sources(root)
    blocks = guide_blocks()
    assert blocks, f"{GUIDE} shows no file to write"
    for path, text, add in blocks:
        target = root / path
        if add:
            add_to_catalog(target, text)
        else:
            assert not target.exists(), f"the guide's example would overwrite {path}"
            target.write_text(text, encoding="utf-8")
    return root, before


def bench_cli(root: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`unison-bench <args>` running the extended copy (the repository's own unison beside it)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(REPO)]),
               UNISON_BENCH_TESTSETS=str(cwd / "testsets"), HF_HUB_OFFLINE="1")
    env.pop("UNISON_BENCH_SUITES", None)
    return subprocess.run([sys.executable, "-m", "bench.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def test_the_guide_names_every_file_and_no_generic_module_changes(extended):
    root, before = extended
    after = sources(root)
    added = sorted(set(after) - set(before))
    changed = sorted(p for p in before if after.get(p) != before[p])
    assert added == ["bench/metrics/pitch.py", "bench/systems/sine.py", "suites/pitch.py", "suites/pitch.yaml"]
    assert changed == ["bench/metrics/catalog.py", "bench/systems/catalog.py"]
    for path in changed:  # one catalog line each
        diff = [d for d in difflib.ndiff(before[path].splitlines(), after[path].splitlines()) if d[:2] in ("+ ", "- ")]
        assert len(diff) == 1 and diff[0].startswith("+ "), (path, diff)


def test_the_worked_example_runs_end_to_end(extended, tmp_path):
    root, _ = extended
    listing = bench_cli(root, tmp_path, "ls")
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"^  pitch +v1 ", listing.stdout, re.M) and re.search(r"^  sine +bench.systems.sine", listing.stdout,
                                                                          re.M)
    assert re.search(r"^  pitch-err@fft-16k +v1 +lower +offline +gen=waveform-16k,target=waveform-16k", listing.stdout,
                     re.M)
    for system in ("sine", "oracle"):
        proc = bench_cli(root, tmp_path, "run", "pitch", "--system", system, "--out", "runs", "--no-progress")
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = {s: json.loads((tmp_path / "runs" / "pitch" / s / "0" / "results.json").read_text()) for s in ("sine", "oracle")}
    sine, oracle = res["sine"]["metrics"], res["oracle"]["metrics"]
    assert res["sine"]["suite"]["n_items"] == 8 and set(res["sine"]["subsets"]) == {"low", "high"}
    assert all(c["unavailable"] is None and c["n"] == 8 and c["n_failed"] == 0 for c in [*sine.values(), *oracle.values()])
    # the oracle returns the targets; sine plays the same pitch in float32 against PCM_16 targets
    assert list(sine) == list(oracle) == ["pitch-err@fft-16k"]
    assert oracle["pitch-err@fft-16k"]["value"] == 0.0
    assert 0.0 < sine["pitch-err@fft-16k"]["value"] < 1.0, sine["pitch-err@fft-16k"]
    table = bench_cli(root, tmp_path, "table", "runs/pitch/sine/0/results.json", "runs/pitch/oracle/0/results.json")
    assert table.returncode == 0 and "`pitch-err@fft-16k`" in table.stdout, table.stderr
    report = bench_cli(root, tmp_path, "report", "runs", "-o", "report", "--items", "1")
    assert report.returncode == 0, report.stderr
    assert 'id="suite-pitch"' in (tmp_path / "report" / "index.html").read_text()
