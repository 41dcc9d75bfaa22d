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


def test_the_suite_compares_checkpoints_and_labels_their_rows():
    spec = load_suite(SUITE)
    assert spec.compares_checkpoints
    assert [c["name"] for c in spec.checkpoints.entries("mini")] == ["tiny-O", "tiny-L"]
    assert len(spec.checkpoints.entries("paper")) == 5
    board = spec.leaderboard
    assert board.table == "ablations" and set(board.columns) == {"FD", "CLAP", "WER-EN"}
    assert all(c.subset in spec.subsets for c in board.columns.values())
    assert board.checkpoint_rows == {"system": "{conditioning} [{name}]", "subset": "{arch}"}


def _raw(**checkpoints):
    spec = load_suite(SUITE)
    return {"name": "x", "version": "1", "task": "t2a", "builder": spec.builder, "scales": {"mini": {}},
            "generation": {}, "metrics": ["fd@yamnet-16k"], "checkpoints": checkpoints}


def test_checkpoints_field_errors_name_the_field():
    folder = {"default": "checkpoints/tiny"}
    with pytest.raises(SpecError, match=r"checkpoints.scales.mini"):
        parse_spec(_raw(scales={"mini": [{"name": "only-one"}]}, folder=folder))
    with pytest.raises(SpecError, match=r"unique"):
        parse_spec(_raw(scales={"mini": [{"name": "a"}, {"name": "a"}]}, folder=folder))
    with pytest.raises(SpecError, match=r"'checkpoints.folder'"):
        parse_spec(_raw(scales={"mini": [{"name": "a"}, {"name": "b"}]}))
    with pytest.raises(SpecError, match=r"'checkpoints.folder.path'.*unknown field"):
        parse_spec(_raw(scales={"mini": [{"name": "a"}, {"name": "b"}]}, folder={"path": "x", "default": "y"}))
    ok = parse_spec(_raw(scales={"mini": [{"name": "a"}, {"name": "b", "file": "b.pt"}]}, folder=folder))
    assert [ok.checkpoints.file(e) for e in ok.checkpoints.entries("mini")] == ["a.safetensors", "b.pt"]
    assert ok.checkpoints.entries("paper") == ()


def test_checkpoint_row_labels_must_fit_every_entry():
    raw = _raw(scales={"mini": [{"name": "a", "arch": "D24"}, {"name": "b"}]}, folder={"default": "c"})
    raw["leaderboard"] = {"table": "ablations", "checkpoint_rows": {"subset": "{arch}"}}
    with pytest.raises(SpecError, match=r"'leaderboard.checkpoint_rows.subset'.*checkpoint 'b'.*KeyError"):
        parse_spec(raw)
    raw.pop("checkpoints")
    with pytest.raises(SpecError, match=r"needs a 'checkpoints' block"):
        parse_spec(raw)


def test_part_version_pin_is_checked(tmp_path):
    from bench.testset import TestSetWriter
    from suites import ablations

    params = load_suite(SUITE).params("mini")
    params["parts"] = [dict(params["parts"][0], version="0")]
    with pytest.raises(ValueError, match="pins version"):
        ablations.build(params, TestSetWriter(tmp_path, SUITE, 0))
