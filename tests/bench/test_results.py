"""The one validated reader of results.json / samples.jsonl: what it refuses and how it says so."""
import json
import math
from pathlib import Path

import pytest

from bench.results import ResultsError, clean_scores, load_results, load_samples, metric_cell
from broken_results import CELL_CASES, KEY, break_results, break_samples, write_valid

BASELINES = Path(__file__).resolve().parents[2] / "bench" / "baselines"


def test_committed_baselines_load():
    files = sorted(BASELINES.rglob("results.json"))
    assert len(files) >= 8
    for f in files:
        data = load_results(f)
        assert data["metrics"] and load_samples(f.parent / "samples.jsonl")


def test_a_valid_file_loads_from_its_folder_too(tmp_path):
    p = write_valid(tmp_path / "run")
    assert load_results(p) == load_results(p.parent) == json.loads(p.read_text())
    assert list(load_samples(p.parent / "samples.jsonl")) == ["i0", "i1", "i2"]
    assert load_samples(tmp_path / "absent.jsonl") is None


@pytest.mark.parametrize("subset", [None, "add"])
@pytest.mark.parametrize("case", sorted(CELL_CASES))
def test_a_bad_cell_names_file_metric_subset_field_and_value(tmp_path, case, subset):
    p = write_valid(tmp_path / "run")
    expect = break_results(p, case, KEY, subset)
    with pytest.raises(ResultsError) as e:
        load_results(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: metric {KEY!r}") and expect in msg and "re-run the suite" in msg
    assert (f"(subset {subset!r})" in msg) == (subset is not None)


@pytest.mark.parametrize("change, expect", [
    (lambda d: d["metrics"][KEY].update(ci95=[3.0, 2.0]),
     "'ci95' is [3.0, 2.0] (a list); it must be a pair [lo, hi] with lo <= hi"),
    (lambda d: d["metrics"][KEY].update(ci95=[1.0]), "'ci95' is [1.0]"),
    (lambda d: d["metrics"][KEY].update(n=2, n_failed=3), "'n_failed' is 3 (a number); it must be at most n (2)"),
    (lambda d: d["metrics"][KEY].update(n=-1), "'n' is -1"),
    (lambda d: d["metrics"][KEY].update(n=2.0), "'n' is 2.0 (a number); it must be an integer >= 0"),
    (lambda d: d["metrics"][KEY].update(higher_is_better="no"), "'higher_is_better' is 'no' (a string)"),
    (lambda d: d["metrics"][KEY].update(unavailable=0), "'unavailable' is 0"),
    (lambda d: d["metrics"][KEY]["extra"].update(per_op={"add": float("nan")}), "extra['per_op']['add'] is nan"),
    (lambda d: d["metrics"].update({KEY: [1.0]}), f"metric {KEY!r}: is [1.0] (a list), not a metric cell"),
    (lambda d: d.update(seed="0"), "field 'seed' is '0' (a string); it must be an integer"),
    (lambda d: d.pop("metrics"), "lacks field 'metrics'"),
    (lambda d: d["suite"].update(name=3), "'suite.name' is 3"),
    (lambda d: d["suite"].update(n_items=None), "'suite.n_items' is None (null)"),
    (lambda d: d["subsets"].update(add=[]), "subset 'add' is [] (a list), not an object of metric cells"),
    (lambda d: d.update(schema=2), "not a unison-bench results.json (schema 1; got schema 2)"),
])
def test_schema_and_types(tmp_path, change, expect):
    p = write_valid(tmp_path / "run")
    data = json.loads(p.read_text())
    change(data)
    p.write_text(json.dumps(data))
    with pytest.raises(ResultsError) as e:
        load_results(p)
    assert str(e.value).startswith(f"{p}: ") and expect in str(e.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ResultsError, match="no such results file"):
        load_results(tmp_path / "nope.json")
    p = tmp_path / "results.json"
    p.write_text("[1, 2]")
    with pytest.raises(ResultsError, match=r"not a unison-bench results.json \(schema 1; got a list\)"):
        load_results(p)
    p.write_text('{"schema": 1, "metrics": {')
    with pytest.raises(ResultsError, match="not JSON"):
        load_results(p)


@pytest.mark.parametrize("value, expect", [
    (float("nan"), "'score' is nan (not finite)"),
    (float("-inf"), "'score' is -inf"),
    ("0.5", "'score' is '0.5' (a string)"),
    (False, "'score' is False (a boolean)"),
])
def test_bad_per_item_score_names_file_line_item_and_metric(tmp_path, value, expect):
    s = write_valid(tmp_path / "run").parent / "samples.jsonl"
    break_samples(s, KEY, value)
    with pytest.raises(ResultsError) as e:
        load_samples(s)
    assert str(e.value).startswith(f"{s}:2: item 'i1', metric {KEY!r}: ") and expect in str(e.value)


@pytest.mark.parametrize("line, expect", [
    ('{"id": "i0"', "not JSON"),
    ('{"scores": {}}', "string 'id'"),
    ('{"id": "i0", "scores": {}}', "item 'i0' appears twice"),
    ('{"id": "i9", "scores": [1]}', "'scores' is [1]"),
])
def test_malformed_samples_lines(tmp_path, line, expect):
    s = write_valid(tmp_path / "run").parent / "samples.jsonl"
    s.write_text(s.read_text() + line + "\n")
    with pytest.raises(ResultsError) as e:
        load_samples(s)
    assert str(e.value).startswith(f"{s}:4: ") and expect in str(e.value)


def test_writing_side_never_produces_a_non_finite_number():
    desc = {"name": "fd", "variant": "v", "version": "1", "higher_is_better": False}
    with pytest.raises(FloatingPointError, match="non-finite value nan"):
        metric_cell(desc, value=float("nan"))
    with pytest.raises(FloatingPointError, match="non-finite ci95 bound inf"):
        metric_cell(desc, value=1.0, ci95=(0.0, float("inf")))
    cell = metric_cell(desc, value=1.0, extra={"mean": float("nan"), "parts": [1.0, float("-inf")]})
    assert cell["extra"] == {"mean": "nan", "parts": [1.0, "-inf"]}  # the diagnosis kept, as text
    json.dumps(cell, allow_nan=False)
    scores, bad = clean_scores([0.5, float("nan"), None, "x", float("inf"), True], list("abcdef"))
    assert scores == [0.5, None, None, None, None, None]
    assert bad == {"b": "non-finite score nan", "d": "non-numeric score 'x'", "e": "non-finite score inf",
                   "f": "non-numeric score True"}
    assert not any(isinstance(v, float) and math.isnan(v) for v in scores)
