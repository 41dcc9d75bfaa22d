"""Gather what a report shows: the results under a runs folder, grouped by suite, with the test set
each was scored on (for source / reference / target audio and the items' prompts).

A runs folder is what ``unison-bench run --out <runs>`` writes: ``<runs>/<suite>/<system>/<seed>/``
with results.json, samples.jsonl and audio/<id>.wav. Test sets are found by their content hash
(results.json's ``suite.testset_hash``) under the test-set folder, never by path, so a report on
another machine finds its own copy of the same test set.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.item import Item
from bench.registry import suite_order
from bench.results import load_results, load_samples
from bench.testset import INFO, TestSet, default_testsets_dir

log = logging.getLogger(__name__)

@dataclass
class Run:
    """One results.json (suite x system x seed) and the per-item rows beside it."""

    dir: Path
    results: dict[str, Any]
    samples: dict[str, dict[str, Any]]  # item id -> samples.jsonl row

    @property
    def system(self) -> str:
        return str(self.results["system"]["name"])

    @property
    def seed(self) -> int:
        return int(self.results["seed"])

    @property
    def label(self) -> str:
        name = self.system
        kind, sep, arg = name.partition(":")
        if sep and ("/" in arg or "\\" in arg):  # unison:/long/path/ckpt.safetensors -> unison:ckpt
            name = f"{kind}:{Path(arg).stem}"
        return name if self.seed == 0 else f"{name} (seed {self.seed})"

    def audio(self, item_id: str) -> Path:
        return self.dir / "audio" / f"{item_id}.wav"


@dataclass
class SuiteRuns:
    name: str
    version: str
    scale: str
    testset_hash: str
    runs: list[Run] = field(default_factory=list)
    testset: TestSet | None = None
    testset_missing: str | None = None  # why the test set's audio cannot be shown
    seed_summaries: dict[str, dict[str, Any]] = field(default_factory=dict)  # system -> its seeds.json

    @property
    def metric_keys(self) -> list[str]:
        """Metric keys in first-seen order over the runs (suite order, as the runner writes them)."""
        keys: dict[str, None] = {}
        for r in self.runs:
            keys.update(dict.fromkeys(r.results["metrics"]))
        return list(keys)

    @property
    def subsets(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.runs:
            names.update(dict.fromkeys(sorted(r.results.get("subsets") or {})))
        return list(names)

    def items(self, common: bool = False) -> list[Item]:
        """The scored items in test-set order: the union over runs, or (``common``) those every run scored."""
        sets = [set(r.samples) for r in self.runs]
        scored = (set.intersection(*sets) if common else set.union(*sets)) if sets else set()
        if self.testset is not None:
            return [it for it in self.testset.items if it.id in scored]
        return []


def find_runs(runs_dir: str | Path, only: list[str | Path] | None = None) -> list[Run]:
    """Every results.json below ``runs_dir`` (hidden folders such as .cache skipped), sorted;
    with ``only``, just those files (e.g. the runs one `unison-bench default` invocation made).
    A malformed results.json or samples.jsonl raises ResultsError naming it: a report never
    silently leaves a run out."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise FileNotFoundError(f"runs folder {runs_dir} does not exist; write one with `unison-bench run --out`")
    keep = {Path(p).resolve() for p in only} if only is not None else None
    runs = []
    for p in sorted(runs_dir.rglob("results.json")):
        if keep is not None and p.resolve() not in keep:
            continue
        if any(part.startswith(".") for part in p.relative_to(runs_dir).parts):
            continue
        runs.append(Run(dir=p.parent, results=load_results(p), samples=load_samples(p.parent / "samples.jsonl") or {}))
    return runs


def find_testset(name: str, digest: str, testsets_dir: Path) -> TestSet | None:
    """The built test set of suite ``name`` whose content hash is ``digest``, if present."""
    suite_dir = testsets_dir / name
    if not suite_dir.is_dir():
        return None
    for info_path in sorted(suite_dir.glob(f"*/{INFO}")):
        try:
            info = json.loads(info_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if info.get("hash") == digest:
            return TestSet.load(info_path.parent)
    return None


def _system_order(run: Run) -> tuple[int, str, int]:
    # the oracle (the ceiling) first, then systems by name
    return (0 if run.system == "oracle" else 1, run.system, run.seed)


def group_by_suite(runs: list[Run], testsets_dir: str | Path | None = None) -> list[SuiteRuns]:
    """Runs grouped per (suite, version, scale, test-set hash), in the suites' order; test sets located
    by hash."""
    base = Path(testsets_dir) if testsets_dir is not None else default_testsets_dir()
    groups: dict[tuple[str, str, str, str], SuiteRuns] = {}
    for r in runs:
        s = r.results["suite"]
        key = (str(s["name"]), str(s.get("version", "")), str(s.get("scale", "")), str(s.get("testset_hash", "")))
        if key not in groups:
            groups[key] = SuiteRuns(name=key[0], version=key[1], scale=key[2], testset_hash=key[3])
        groups[key].runs.append(r)
    rank = {name: suite_order(name) for name, *_ in groups}  # each suite YAML's `order`, then by name
    out = []
    for key in sorted(groups, key=lambda k: (rank[k[0]], k)):
        g = groups[key]
        g.runs.sort(key=_system_order)
        g.seed_summaries = find_seed_summaries(g)
        g.testset = find_testset(g.name, g.testset_hash, base)
        if g.testset is None:
            g.testset_missing = (f"test set {g.name} (hash {g.testset_hash[:16]}) not found under {base}; "
                                 "rebuild it with `unison-bench build` or pass --testsets")
        out.append(g)
    return out


def find_seed_summaries(suite: SuiteRuns) -> dict[str, dict[str, Any]]:
    """{system name: seeds.json} for the suite's systems run with ``--seeds`` (bench.multiseed writes
    it beside the per-seed folders: <runs>/<suite>/<system>/seeds.json), same suite and test set only."""
    out: dict[str, dict[str, Any]] = {}
    for r in suite.runs:
        path = r.dir.parent / "seeds.json"
        if r.system in out or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            log.warning("%s: unreadable (%s); the seeds chart leaves it out", path, e)
            continue
        s = data.get("suite") or {}
        if s.get("name") == suite.name and s.get("testset_hash") == suite.testset_hash:
            out[r.system] = data
    return out


def pick_items(suite: SuiteRuns, per_suite: int) -> list[Item]:
    """Up to ``per_suite`` items to show with audio: round robin over subsets (so editing shows an
    add, a remove and a replace item), in test-set order within a subset; items that every system
    was run on first (a system run with a smaller --limit has fewer)."""
    common = suite.items(common=True)
    items = common + [it for it in suite.items() if it not in common]
    if per_suite <= 0 or not items:
        return []
    by_subset: dict[str | None, list[Item]] = {}
    for it in items:
        by_subset.setdefault(it.subset, []).append(it)
    picked: list[Item] = []
    queues = [list(v) for v in by_subset.values()]
    while len(picked) < per_suite and any(queues):
        for q in queues:
            if q and len(picked) < per_suite:
                picked.append(q.pop(0))
    return picked
