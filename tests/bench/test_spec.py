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


@pytest.mark.parametrize("mutate, field", [
    (lambda r: r.pop("metrics"), "metrics"),
    (lambda r: r.__setitem__("metrics", ["fad"]), "metrics[0]"),
    (lambda r: r.__setitem__("colour", 1), "colour"),
    (lambda r: r.__setitem__("builder", "no-colon"), "builder"),
    (lambda r: r["scales"].__setitem__("huge", {}), "scales.huge"),
    (lambda r: r["generation"].__setitem__("steps", 2.5), "generation.steps"),
    (lambda r: r.__setitem__("tasks", ["t2a"]), "task"),
    (lambda r: r.__setitem__("validation", {"tolerance": 1}), "validation"),
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
