import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import bench_toys
from bench.item import Item
from bench.registry import create_system
from bench.run import RunOptions, run
from bench.run.validate import validate_generated
from bench.spec import ValidationSettings, load_spec


@pytest.fixture
def toys(monkeypatch, tmp_path):
    bench_toys.register(monkeypatch.setitem)
    return load_spec(bench_toys.write_suite(tmp_path / "suites"))


def _opts(tmp_path, spec, system="oracle", **kw):
    return RunOptions(suite=spec, system=create_system(system), system_name=system, out=tmp_path / "runs",
                      testsets_dir=tmp_path / "testsets", progress=False, **kw)


def _samples(report):
    return [json.loads(x) for x in (report.results_path.parent / "samples.jsonl").read_text().splitlines()]


def test_oracle_run_writes_the_schema(tmp_path, toys):
    rep = run(_opts(tmp_path, toys))
    res = rep.results
    assert rep.results_path == tmp_path / "runs" / "toy_tones" / "oracle" / "0" / "results.json"
    assert json.loads(rep.results_path.read_text()) == res
    assert res["schema"] == 1 and res["harness"]["name"] == "unison-bench" and res["harness"]["version"]
    assert "git" in res["harness"]
    assert res["suite"]["name"] == "toy_tones" and res["suite"]["n_items"] == 6 and len(res["suite"]["testset_hash"]) == 64
    assert res["system"] == {"name": "oracle", "signature": res["system"]["signature"]} and res["seed"] == 0
    assert "numpy" in res["packages"] and "soxr" in res["packages"]
    cell = res["metrics"]["rmsdiff@toy"]
    assert set(cell) == {"name", "variant", "version", "higher_is_better", "paper_protocol", "value", "n",
                         "n_failed", "ci95", "unavailable", "extra"}
    # the oracle returns the target: PCM_16 target vs float copy of it -> identical RMS
    assert cell["value"] == pytest.approx(0.0, abs=1e-9) and cell["n"] == 6 and cell["n_failed"] == 0
    assert cell["ci95"] is not None and cell["ci95"][0] <= cell["value"] <= cell["ci95"][1] + 1e-12
    mean = res["metrics"]["meanrms@toy"]
    assert mean["value"] > 0.1 and mean["ci95"] is None  # set-level: no per-item CI
    assert set(res["subsets"]) == {"low", "high"}
    assert res["subsets"]["low"]["rmsdiff@toy"]["n"] + res["subsets"]["high"]["rmsdiff@toy"]["n"] == 6
    rows = _samples(rep)
    assert [r["id"] for r in rows] == [f"tone{k:03d}" for k in range(6)]
    assert all(r["status"] == "ok" and r["error"] is None and set(r["scores"]) == {"rmsdiff@toy"} for r in rows)


def test_metric_value_follows_the_audio(tmp_path, toys, monkeypatch):
    """A real computation: the slow oracle scaled by 0.5 must give rmsdiff = mean rms / 2."""
    orig = bench_toys.SlowOracle.generate

    def half(self, items, root):
        return [type(g)(g.wave * 0.5, g.sample_rate) for g in orig(self, items, root)]

    monkeypatch.setattr(bench_toys.SlowOracle, "generate", half)
    res = run(_opts(tmp_path, toys, system="toy_slow")).results
    ref = run(_opts(tmp_path, toys)).results
    assert res["metrics"]["meanrms@toy"]["value"] == pytest.approx(ref["metrics"]["meanrms@toy"]["value"] / 2, rel=1e-3)
    assert res["metrics"]["rmsdiff@toy"]["value"] == pytest.approx(ref["metrics"]["meanrms@toy"]["value"] / 2, rel=1e-3)


def test_bad_outputs_are_recorded_per_item(tmp_path, toys):
    rep = run(_opts(tmp_path, toys, system="toy_bad", metrics=["rmsdiff@toy", "meanrms@toy"]))
    rows = {r["id"]: r for r in _samples(rep)}
    assert rows["tone000"]["status"] == "ok" and rows["tone000"]["scores"]["rmsdiff@toy"] is not None
    expect = {"tone001": "non-finite", "tone002": "all-silent", "tone003": "wrong duration",
              "tone004": "generation failed: RuntimeError: toy failure on tone004", "tone005": "wrong sample rate"}
    for item_id, reason in expect.items():
        assert rows[item_id]["status"] == "failed" and rows[item_id]["error"].startswith(reason), rows[item_id]
        assert rows[item_id]["scores"]["rmsdiff@toy"] is None
    cell = rep.results["metrics"]["rmsdiff@toy"]
    assert cell["n"] == 6 and cell["n_failed"] == 5 and cell["value"] is not None
    assert rep.results["metrics"]["meanrms@toy"]["n_failed"] == 5
    # every high-frequency item failed -> that subset's cell says so instead of a number
    high = rep.results["subsets"]["high"]["rmsdiff@toy"]
    assert high["value"] is None and high["unavailable"].startswith("error:")


def test_validate_generated_file_problems(tmp_path):
    item = Item(id="a", task="t2a", instruction="", seconds=1.0, seed=0)
    vs = ValidationSettings(duration_tolerance=0.1, sample_rate=16000)
    assert validate_generated(tmp_path / "none.wav", item, vs).startswith("missing")
    (tmp_path / "empty.wav").write_bytes(b"")
    assert validate_generated(tmp_path / "empty.wav", item, vs).startswith("empty")
    (tmp_path / "junk.wav").write_bytes(b"RIFF....garbage")
    assert validate_generated(tmp_path / "junk.wav", item, vs).startswith("unreadable")
    sf.write(str(tmp_path / "zero.wav"), np.zeros(0, np.float32), 16000, subtype="FLOAT")
    assert validate_generated(tmp_path / "zero.wav", item, vs).startswith("empty")
    sf.write(str(tmp_path / "ok.wav"), np.full(16000, 0.1, np.float32), 16000, subtype="FLOAT")
    assert validate_generated(tmp_path / "ok.wav", item, vs) is None
    sf.write(str(tmp_path / "inf.wav"), np.array([0.1, np.inf] * 8000, np.float32), 16000, subtype="FLOAT")
    assert validate_generated(tmp_path / "inf.wav", item, vs).startswith("non-finite")


def test_unavailable_metric_cells_do_not_stop_the_others(tmp_path, toys):
    rep = run(_opts(tmp_path, toys, metrics=["needsw@toy", "raisesw@toy", "rmsdiff@toy"]))
    m = rep.results["metrics"]
    assert m["needsw@toy"]["value"] is None
    assert m["needsw@toy"]["unavailable"] == "extractor toy_noweights: weights 'toy-model' not found (set UNISON_WEIGHTS_TOY_MODEL)"
    assert m["raisesw@toy"]["value"] is None and "MissingWeightsError" in m["raisesw@toy"]["unavailable"]
    assert m["rmsdiff@toy"]["value"] == pytest.approx(0.0, abs=1e-9) and m["rmsdiff@toy"]["unavailable"] is None
    assert rep.results["subsets"]["low"]["needsw@toy"]["unavailable"]


def test_limit_and_unknown_metric(tmp_path, toys):
    rep = run(_opts(tmp_path, toys, limit=2))
    assert rep.results["suite"]["n_items"] == 2 and rep.results["metrics"]["rmsdiff@toy"]["n"] == 2
    assert len(_samples(rep)) == 2
    from bench.registry import RegistryError

    with pytest.raises(RegistryError, match="Did you mean: rmsdiff@toy"):
        run(_opts(tmp_path, toys, metrics=["rmsdif@toy"]))


def test_sharding_by_rank(tmp_path, toys, monkeypatch):
    """Rank 1 of 2 generates the odd items only; rank 0 generates the even ones and scores all."""
    counter = tmp_path / "gen"
    monkeypatch.setenv("TOY_GEN_COUNTER", str(counter))
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    rep1 = run(_opts(tmp_path, toys, system="toy_slow"))
    assert rep1.results is None and counter.read_text().split() == ["tone001", "tone003", "tone005"]
    monkeypatch.setenv("RANK", "0")
    rep0 = run(_opts(tmp_path, toys, system="toy_slow", wait_timeout=5))
    assert counter.read_text().split()[3:] == ["tone000", "tone002", "tone004"]
    assert rep0.results["metrics"]["rmsdiff@toy"]["n_failed"] == 0


def test_weights_checksums_are_recorded(tmp_path, toys, monkeypatch):
    digest = "ab" * 32
    monkeypatch.setattr(bench_toys.RmsExtractor, "signature",
                        lambda self: {"name": self.name, "gain": self.gain, "model": {"sha256": digest}})
    monkeypatch.setattr(bench_toys.SlowOracle, "weights", lambda self: {"toy-ckpt": "cd" * 32}, raising=False)
    res = run(_opts(tmp_path, toys, system="toy_slow")).results
    assert res["weights"] == {"extractor:toy_rms.model.sha256": digest, "toy-ckpt": "cd" * 32}
    assert res["extractors"]["toy_rms"]["signature"]["model"]["sha256"] == digest


def test_not_applicable_items_are_neither_counted_nor_failed():
    """A WER cell over a mixed suite counts only the speech items; a sound effect is not a failure."""
    from bench.item import Item
    from bench.metrics.base import Metric
    from bench.metrics.common import mean_result
    from bench.run.score import score_cell
    from bench.run.validate import ItemStatus

    class SpeechOnly(Metric):
        name, variant = "toy-wer", "toy"

        def score(self, items, feats):
            per = [None if it.text is None else (0.5 if it.id != "c" else None) for it in items]
            return mean_result(per, [i for i, it in enumerate(items) if it.text is None], what=self.key)

    items = [Item(id="a", task="tts", instruction="", seconds=1, seed=0, text="hi"),
             Item(id="b", task="t2a", instruction="", seconds=1, seed=0),
             Item(id="c", task="tts", instruction="", seconds=1, seed=0, text="yo")]
    cell, per = score_cell(SpeechOnly(), "toy-wer@toy", items, {}, {it.id: ItemStatus() for it in items})
    assert cell["n"] == 2 and cell["n_failed"] == 1 and cell["value"] == 0.5
    assert per == [0.5, None, None]


def test_an_extractor_error_on_one_clip_fails_only_that_item(tmp_path, toys, monkeypatch):
    """The batch that raises is retried clip by clip; the clip that still raises leaves its item
    unscored (counted in n_failed) and every other item is scored."""
    import bench.extractors.catalog as ec
    from bench import registry

    class Picky(bench_toys.PeakExtractor):
        name, batch_size = "toy_picky", 64
        calls = 0

        def extract(self, waves, sides):
            Picky.calls += 1
            if Picky.calls <= 2:  # the whole batch, then the first clip on its own
                raise ValueError("this extractor cannot take that clip")
            return super().extract(waves, sides)

    class PickyPeak(bench_toys.Peak):
        name, needs = "pickypeak", {"gen": "toy_picky"}

    monkeypatch.setitem(ec.EXTRACTORS, "toy_picky", Picky)
    import bench.metrics.catalog as mc

    monkeypatch.setitem(mc.METRICS, "pickypeak@toy", PickyPeak)
    registry.EXTRACTORS.clear()
    registry.METRICS.clear()
    rep = run(_opts(tmp_path, toys, metrics=["pickypeak@toy"]))
    cell = rep.results["metrics"]["pickypeak@toy"]
    assert cell["unavailable"] is None and cell["value"] is not None
    assert cell["n_failed"] == 1 and cell["n"] == rep.results["suite"]["n_items"]


def _strict(text: str):
    """json.loads that refuses NaN / Infinity tokens (Python's json accepts them by default)."""
    def refuse(token):
        raise ValueError(f"non-finite token {token} in the file")
    return json.loads(text, parse_constant=refuse)


def test_non_finite_scores_become_failures_never_numbers(tmp_path, toys, monkeypatch):
    """A metric's NaN / inf / non-number per-item score fails that item (reason in extra); a
    non-finite value fails the cell; results.json and samples.jsonl hold no NaN token."""
    import bench.metrics.catalog as mc
    from bench import registry
    from bench.metrics.base import MetricResult
    from bench.results import load_results, load_samples

    class NanItems(bench_toys.RmsDiff):
        name = "nanitems"

        def score(self, items, feats):
            res = super().score(items, feats)
            bad = {"tone001": float("nan"), "tone004": float("-inf"), "tone005": "oops"}
            per = [bad.get(it.id, v) for it, v in zip(items, res.per_item)]
            ok = [v for v in per if isinstance(v, float) and np.isfinite(v)]
            return MetricResult(value=float(np.mean(ok)) if ok else None, n=len(ok), per_item=per,
                                extra={"spread": float("nan")})

    class NanValue(bench_toys.RmsDiff):
        name = "nanvalue"

        def score(self, items, feats):
            res = super().score(items, feats)
            return MetricResult(value=float("nan"), n=res.n, per_item=res.per_item)

    class InfSetLevel(bench_toys.MeanRms):
        name = "infset"

        def score(self, items, feats):
            return MetricResult(value=float("inf"), n=len(items))

    for cls in (NanItems, NanValue, InfSetLevel):
        monkeypatch.setitem(mc.METRICS, f"{cls.name}@toy", cls)
    registry.METRICS.clear()
    rep = run(_opts(tmp_path, toys, metrics=["nanitems@toy", "nanvalue@toy", "infset@toy", "rmsdiff@toy"]))
    text = rep.results_path.read_text()
    res = _strict(text)  # no NaN / Infinity token anywhere
    assert load_results(rep.results_path) == res  # and the validated reader accepts it
    rows = [_strict(x) for x in (rep.results_path.parent / "samples.jsonl").read_text().splitlines()]
    assert load_samples(rep.results_path.parent / "samples.jsonl")

    items = res["metrics"]["nanitems@toy"]
    errors = {"tone001": "non-finite score nan", "tone004": "non-finite score -inf",
              "tone005": "non-numeric score 'oops'"}
    assert items["unavailable"] is None and items["value"] == pytest.approx(0.0, abs=1e-9)
    assert items["n"] == 6 and items["n_failed"] == 3 and items["extra"]["item_errors"] == errors
    assert items["extra"]["spread"] == "nan"  # a diagnosis kept as text, not as a number
    scores = {r["id"]: r["scores"]["nanitems@toy"] for r in rows}
    assert [i for i, v in scores.items() if v is None] == sorted(errors) and len(scores) == 6
    # the subset cells are scored the same way: each failed item counted where it belongs
    sub_failed = {s: c["nanitems@toy"]["n_failed"] for s, c in res["subsets"].items()}
    by_subset = {s: sum(r["subset"] == s and r["id"] in errors for r in rows) for s in sub_failed}
    assert sub_failed == by_subset and sum(sub_failed.values()) == 3

    value = res["metrics"]["nanvalue@toy"]
    assert value["value"] is None and value["unavailable"] == "error: non-finite value nan"
    assert all(r["scores"].get("nanvalue@toy") is None for r in rows) and "nanvalue@toy" not in rows[0]["scores"]
    inf = res["metrics"]["infset@toy"]
    assert inf["value"] is None and inf["unavailable"] == "error: non-finite value inf"
    assert res["metrics"]["rmsdiff@toy"]["value"] == pytest.approx(0.0, abs=1e-9)  # the others go on


def test_one_instance_serves_several_runs_each_configured_anew(tmp_path, toys):
    """`unison-bench default` hands one System instance to run after run: each run configures it
    (seed, suite, generation), so what it generates depends on the run, not on the runs before."""
    from bench.systems.base import Generated, System
    from bench.systems.seeding import SeededRun

    class NoisyOracle(SeededRun, System):
        name = "toy_noisy"

        def signature(self):
            return {"system": self.name}

        def generate(self, items, root):
            for it in items:
                wave, sr = sf.read(str(root / it.target), dtype="float32")
                noise = np.random.default_rng(self.seed_for(it)).standard_normal(wave.size).astype(np.float32)
                yield Generated(wave + 0.1 * noise, sr)

    def run_with(system, seed):
        opts = RunOptions(suite=toys, system=system, system_name="toy_noisy", seed=seed, out=tmp_path / f"runs{seed}",
                          testsets_dir=tmp_path / "testsets", progress=False)
        return run(opts).results["metrics"]["rmsdiff@toy"]["value"]

    shared = NoisyOracle()
    first, second = run_with(shared, 0), run_with(shared, 1)
    (tmp_path / "runs0").rename(tmp_path / "runs0-shared")
    assert run_with(NoisyOracle(), 0) == first and first != second


def test_a_system_declares_only_signature_and_generate():
    """Every other capability has its default in the base class: nothing is probed."""
    from bench.systems.base import System

    class Minimal(System):
        def signature(self):
            return {}

        def generate(self, items, root):
            return []

    s = Minimal()
    assert s.available() is None and s.weights() == {} and s.batch_size == 1 and s.supports("anything")
    assert s.configure(generation=None, seed=3, suite="x") is None


def test_the_runner_takes_a_spec_and_a_system_not_names(tmp_path, toys):
    with pytest.raises(TypeError, match="bench.registry.load_suite"):
        run(RunOptions(suite="toy_tones", system=create_system("oracle"), out=tmp_path))
    with pytest.raises(TypeError, match="bench.registry.create_system"):
        run(RunOptions(suite=toys, system="oracle", out=tmp_path))


def test_only_the_items_a_metric_wants_are_extracted(tmp_path, toys, monkeypatch):
    """A metric that wants the low tones only (as WER wants items with a text) has only their audio
    extracted; a second metric wanting every item extracts the rest, and nothing twice."""
    import bench.extractors.catalog as ec
    import bench.metrics.catalog as mc
    from bench import registry

    seen: list[int] = []

    class Counted(bench_toys.PeakExtractor):
        name = "toy_counted"

        def extract(self, waves, sides):
            seen.append(len(waves))
            return super().extract(waves, sides)

    class LowPeak(bench_toys.Peak):
        name, needs = "lowpeak", {"gen": "toy_counted"}

        def wants(self, item, role):
            return item.subset == "low"

    class AllPeak(bench_toys.Peak):
        name, needs = "allpeak", {"gen": "toy_counted"}

    monkeypatch.setitem(ec.EXTRACTORS, "toy_counted", Counted)
    monkeypatch.setitem(mc.METRICS, "lowpeak@toy", LowPeak)
    monkeypatch.setitem(mc.METRICS, "allpeak@toy", AllPeak)
    registry.EXTRACTORS.clear()
    registry.METRICS.clear()
    rep = run(_opts(tmp_path, toys, metrics=["lowpeak@toy", "allpeak@toy"]))
    n_low = sum(r["subset"] == "low" for r in _samples(rep))
    assert 0 < n_low < 6 and seen == [n_low, 6 - n_low]
    low, every = rep.results["metrics"]["lowpeak@toy"], rep.results["metrics"]["allpeak@toy"]
    assert every["n"] == 6 and every["n_failed"] == 0 and low["value"] is not None
