import pytest
import yaml

import bench_toys
from bench.spec import SpecError, load_spec, parse_spec


def _raw():
    return yaml.safe_load(bench_toys.TOY_SUITE_YAML)


def test_toy_suite_parses(tmp_path):
    spec = load_spec(bench_toys.write_suite(tmp_path))
    assert spec.name == "toy_tones" and spec.version == "1" and spec.tasks == ("t2a",)
    assert spec.metrics == ("rmsdiff@toy", "meanrms@toy") and spec.subsets == ("low", "high")
    assert spec.generation.seconds == 0.5 and spec.generation.steps == 4
    assert spec.params("mini") == {"n": 6, "seconds": 0.5}
    assert spec.validation.sample_rate == 16000
    assert spec.build_key("mini") != spec.build_key("paper")
    assert spec.layouts == ()


def test_layouts_are_export_only(tmp_path):
    """``layouts`` names what the export writes; it is not part of the test set (same build key)."""
    raw = _raw()
    plain = parse_spec(dict(raw))
    raw["layouts"] = ["seedtts", "audiocaps"]
    spec = parse_spec(raw)
    assert spec.layouts == ("seedtts", "audiocaps") and spec.build_key("mini") == plain.build_key("mini")


@pytest.mark.parametrize("mutate, field", [
    (lambda r: r.pop("metrics"), "metrics"),
    (lambda r: r.__setitem__("metrics", ["fad"]), "metrics[0]"),
    (lambda r: r.__setitem__("colour", 1), "colour"),
    (lambda r: r.__setitem__("builder", "no-colon"), "builder"),
    (lambda r: r["scales"].__setitem__("huge", {}), "scales.huge"),
    (lambda r: r["generation"].__setitem__("steps", 2.5), "generation.steps"),
    (lambda r: r.__setitem__("tasks", ["t2a"]), "task"),
    (lambda r: r.__setitem__("validation", {"tolerance": 1}), "validation"),
    (lambda r: r.__setitem__("layouts", ["seedtts-eval"]), "layouts"),
    (lambda r: r.__setitem__("layouts", "seedtts"), "layouts"),
])
def test_errors_name_file_and_field(tmp_path, mutate, field):
    raw = _raw()
    mutate(raw)
    path = tmp_path / "toy_tones.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert str(path) in str(e.value) and f"field {field!r}" in str(e.value)


def test_name_must_match_file(tmp_path):
    p = tmp_path / "other.yaml"
    p.write_text(bench_toys.TOY_SUITE_YAML)
    with pytest.raises(SpecError, match="must equal the file name stem 'other'"):
        load_spec(p)


def test_bad_yaml_and_unknown_scale(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("name: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(p)
    spec = parse_spec(_raw())
    with pytest.raises(SpecError, match="has no scale 'huge'"):
        spec.params("huge")


@pytest.mark.parametrize("block, field, message", [
    ({"order": "first"}, "order", "must be an integer"),
    ({"default": {"systems": []}}, "default.systems", "must list catalog system names"),
    ({"default": {"systems": ["oracle"], "items": 0}}, "default.items", "integer >= 1"),
    ({"default": {"systems": ["oracle"], "firsts": 2}}, "default.firsts", "unknown field"),
    ({"default": {"systems": ["oracle"], "report_items": -1}}, "default.report_items", "integer >= 0"),
    ({"leaderboard": "leaderboards/published/toy.csv"}, "leaderboard", "must be a mapping"),
    ({"leaderboard": {"columns": {}}}, "leaderboard.table", "missing"),
    ({"leaderboard": {"table": "t", "colums": {}}}, "leaderboard.colums", "unknown field"),
    ({"leaderboard": {"table": "t", "columns": {"WER": {"metric": "wer@nope"}}}}, "leaderboard.columns.WER.metric",
     "not in this suite's metrics"),
    ({"leaderboard": {"table": "t", "columns": {"WER": {"subset": "mid"}}}}, "leaderboard.columns.WER.subset",
     "not one of this suite's subsets"),
    ({"leaderboard": {"table": "t", "rows": {"all": "everything"}}}, "leaderboard.rows.all",
     "not one of this suite's subsets"),
])
def test_suite_knowledge_blocks_name_the_field(block, field, message):
    raw = {**_raw(), **block}
    with pytest.raises(SpecError, match=rf"field '{field}': .*{message}"):
        parse_spec(raw)


def test_suite_knowledge_blocks_parse():
    raw = {**_raw(), "order": 3, "default": {"systems": ["oracle", "unison"], "report_items": 2},
           "leaderboard": {"table": "toy", "columns": {"Low": {"subset": "low"}, "Mean": {"metric": "meanrms@toy"}},
                           "rows": {"low": "low", "all": None}}}
    spec = parse_spec(raw)
    assert spec.order == 3 and spec.default.systems == ("oracle", "unison") and spec.default.report_items == 2
    assert spec.leaderboard.columns["Low"].subset == "low" and spec.leaderboard.columns["Low"].metric is None
    assert spec.leaderboard.columns["Mean"].metric == "meanrms@toy"
    assert spec.leaderboard.rows == {"low": "low", "all": None} and not spec.compares_checkpoints
    # none of it moves a number: the test set's key is the same with or without it
    assert spec.build_key("mini") == parse_spec(_raw()).build_key("mini")
