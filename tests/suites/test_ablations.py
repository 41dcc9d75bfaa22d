import pytest

from bench.registry import load_suite
from bench.spec import SpecError, parse_spec
from suite_helpers import assert_common, assert_deterministic, build_twice

SUITE = "ablations"


def test_mini_composed_from_the_named_suites(built, tmp_path_factory):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    t2a = [it for it in ts.items if it.subset == "t2a"]
    tts = [it for it in ts.items if it.subset == "tts-en"]
    assert len(t2a) == 16 and len(tts) == 8
    assert all(it.task == "tts" and it.lang == "en" for it in tts)
    # the same items (same clips, same captions) the source suite picks with its own seed
    src = build_twice("audiocaps_t2a", tmp_path_factory.mktemp("ac"))[0]
    first16 = sorted(src.items, key=lambda it: it.id)[:16]
    assert [(it.meta["from_id"], it.caption) for it in sorted(t2a, key=lambda it: it.id)] == \
        [(it.id, it.caption) for it in first16]
    # ids interleave the parts: any limited run (--limit 2, --unison-limit 8) covers both columns
    ordered = sorted(ts.items, key=lambda it: it.id)
    assert [it.subset for it in ordered[:4]] == ["t2a", "tts-en", "t2a", "tts-en"]


def test_ablation_field_table_and_checkpoints():
    spec = load_suite(SUITE)
    ab = spec.ablation
    assert [c["name"] for c in ab["checkpoints"]["mini"]] == ["tiny-O", "tiny-L"]
    assert len(ab["checkpoints"]["paper"]) == 5
    headers = [c["header"] for c in ab["table"]["columns"]]
    assert headers == ["Conditioning", "Arch", "Params", "FD", "CLAP", "WER-EN"]
    assert all(c.get("subset") in spec.subsets for c in ab["table"]["columns"] if "metric" in c)


def _raw(**ablation):
    spec = load_suite(SUITE)
    return {"name": "x", "version": "1", "task": "t2a", "builder": spec.builder, "scales": {"mini": {}},
            "generation": {}, "metrics": ["fd@yamnet-16k"], "ablation": ablation}


def test_ablation_field_errors_name_the_field():
    cols = {"columns": [{"header": "FD", "metric": "fd@yamnet-16k"}]}
    with pytest.raises(SpecError, match=r"ablation.checkpoints.mini"):
        parse_spec(_raw(checkpoints={"mini": [{"name": "only-one"}]}, table=cols))
    with pytest.raises(SpecError, match=r"not in this suite's metrics"):
        parse_spec(_raw(checkpoints={"mini": [{"name": "a"}, {"name": "b"}]},
                        table={"columns": [{"header": "CLAP", "metric": "clap@laion-630k"}]}))
    with pytest.raises(SpecError, match=r"unique"):
        parse_spec(_raw(checkpoints={"mini": [{"name": "a"}, {"name": "a"}]}, table=cols))
    ok = parse_spec(_raw(checkpoints={"mini": [{"name": "a"}, {"name": "b"}]}, table=cols))
    assert ok.ablation["checkpoints"]["mini"][1]["name"] == "b"


def test_part_version_pin_is_checked(tmp_path):
    from bench.testset import TestSetWriter
    from suites import ablations

    params = load_suite(SUITE).params("mini")
    params["parts"] = [dict(params["parts"][0], version="0")]
    with pytest.raises(ValueError, match="pins version"):
        ablations.build(params, TestSetWriter(tmp_path, SUITE, 0))
