import pytest

import bench_toys
from bench.registry import RegistryError, create_system, parse_system_args
from bench.run import RunOptions, run_dir
from bench.spec import load_spec


def test_system_args_parse_and_bad_ones_are_named():
    assert parse_system_args(["ckpt=/a/b.safetensors", "steps=10", "x="]) == {"ckpt": "/a/b.safetensors",
                                                                           "steps": "10", "x": ""}
    with pytest.raises(RegistryError, match="key=value"):
        parse_system_args(["ckpt"])


def test_colon_argument_and_keywords_reach_the_factory(monkeypatch):
    import bench.systems.catalog as sc

    seen = {}

    def factory(arg=None, **kw):
        seen.update(arg=arg, **kw)
        return "made"

    monkeypatch.setitem(sc.SYSTEMS, "toy_arg", factory)
    assert create_system("toy_arg:/x/y.ckpt", {"steps": "3"}) == "made" and seen == {"arg": "/x/y.ckpt", "steps": "3"}
    with pytest.raises(RegistryError, match="does not accept"):
        create_system("oracle:extra")
    with pytest.raises(RegistryError, match="unknown system 'nosuch'"):
        create_system("nosuch:1")


def test_run_folder_of_a_path_argument_is_one_folder(tmp_path, monkeypatch):
    bench_toys.register(monkeypatch.setitem)
    spec = load_spec(bench_toys.write_suite(tmp_path / "suites"))
    opts = RunOptions(suite=spec, system=bench_toys.SlowOracle(), system_name="unison:/ckpts/d24.safetensors",
                      out=tmp_path)
    assert run_dir(opts) == tmp_path / "toy_tones" / "unison:_ckpts_d24.safetensors" / "0"


def test_failing_item_is_recorded_and_the_suite_goes_on(tmp_path, monkeypatch):
    """A baseline raising on one item (an EN voice asked for a ZH item) fails only that item."""
    import shutil

    if shutil.which("flite") is None:
        pytest.skip("Debian flite not installed")
    from bench.item import Item
    from bench.systems.voices import VoiceSystem

    items = [Item(id="ok", task="tts", instruction="x", seconds=1.5, seed=0, text="Good morning.", lang="en"),
             Item(id="bad", task="tts", instruction="x", seconds=1.5, seed=0, text="早上好", lang="zh")]
    s = VoiceSystem("flite-slt")
    from bench.run.generate import GenerationStore, generate_all

    class TS:
        root = tmp_path

    store = GenerationStore(tmp_path / "run")
    n, errors = generate_all(s, items, {"ok": "a", "bad": "b"}, TS(), store, progress=False)
    assert n == 1 and list(errors) == ["bad"] and "speaks 'en'" in errors["bad"]
    assert store.wav("ok").is_file() and not store.wav("bad").exists()
