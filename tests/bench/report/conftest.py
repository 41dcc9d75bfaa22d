"""Toy runs for the report tests: the oracle and the failing toy system on the toy_report suite."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import bench_toys
import report_toys


@dataclass
class ToyRuns:
    runs: Path
    testsets: Path
    suites: Path


@pytest.fixture(scope="session")
def toy_runs(tmp_path_factory) -> ToyRuns:
    from bench.registry import create_system
    from bench.run import RunOptions, run
    from bench.spec import load_spec

    root = tmp_path_factory.mktemp("report_runs")
    suite = load_spec(report_toys.write_suite(root / "suites"))
    with pytest.MonkeyPatch.context() as mp:
        bench_toys.register(mp.setitem)
        import bench.systems.catalog as sc

        mp.setitem(sc.SYSTEMS, "toy_gain", report_toys.GainSystem)
        for system in ("oracle", "toy_bad", "toy_gain"):
            run(RunOptions(suite=suite, system=create_system(system), system_name=system, out=root / "runs",
                           testsets_dir=root / "testsets", progress=False))
    from bench import registry

    for r in (registry.SYSTEMS, registry.METRICS, registry.EXTRACTORS):
        r.clear()
    return ToyRuns(runs=root / "runs", testsets=root / "testsets", suites=root / "suites")
