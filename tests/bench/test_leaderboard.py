import csv
import io
import json

import pytest

from bench.cli import main
from bench.leaderboard import LeaderboardError, build_tables, to_csv, to_markdown, write_leaderboards
from broken_results import CASES, KEY, assert_refused, break_results, write_valid


def _cell(name, variant, value, paper, unavailable=None, n=12, ci=(0.1, 0.3), hib=False):
    return {"name": name, "variant": variant, "version": "1", "higher_is_better": hib, "paper_protocol": paper,
            "value": None if unavailable else value, "n": n, "n_failed": 0,
            "ci95": None if unavailable else list(ci), "unavailable": unavailable, "extra": {}}


def _results(tmp_path, suite, system, metrics, subsets=None, seed=0, folder=None):
    res = {"schema": 1, "harness": {"name": "unison-bench", "version": "0", "git": None},
           "suite": {"name": suite, "version": "1", "scale": "mini", "testset_hash": "0" * 64, "n_items": 12},
           "system": {"name": system, "signature": {}}, "seed": seed, "created": "2025-01-02T03:04:05+00:00",
           "packages": {}, "weights": {}, "metrics": metrics, "subsets": subsets or {}}
    p = tmp_path / (folder or f"{suite}-{system}-{seed}") / "results.json"
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(res))
    return p


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_measured_rows_merge_beside_published_and_offline_variants_get_own_columns(tmp_path):
    wer_paper = "wer@whisper-large-v3-seedtts"
    missing = "whisper-large-v3: weights not found (set UNISON_WEIGHTS_DIR)"
    subsets = {"tts-en": {wer_paper: _cell("wer", "whisper-large-v3-seedtts", None, True, unavailable=missing),
                          "wer@faster-whisper-base-seedtts": _cell("wer", "faster-whisper-base-seedtts", 0.0712, False)},
               "zs-en": {"wer@faster-whisper-base-seedtts": _cell("wer", "faster-whisper-base-seedtts", 0.2, False),
                         "sim@resemblyzer": _cell("sim", "resemblyzer", 0.81, False, hib=True)}}
    metrics = {wer_paper: _cell("wer", "whisper-large-v3-seedtts", None, True, unavailable=missing),
               "wer@faster-whisper-base-seedtts": _cell("wer", "faster-whisper-base-seedtts", 0.1, False),
               "sim@resemblyzer": _cell("sim", "resemblyzer", 0.8, False, hib=True)}
    p = _results(tmp_path, "seedtts", "voices-gender", metrics, subsets)
    t = build_tables([p])["tts_seedtts"]
    headers = [c.header for c in t.columns]
    assert headers[:4] == ["ZS WER", "ZS CER", "Pure WER", "Pure CER"]  # the paper's, first
    assert "Pure WER [wer@faster-whisper-base-seedtts]" in headers and "sim@resemblyzer" in headers
    rows = _rows(to_csv(t))
    pub = [r for r in rows if r["source"] == "published"]
    assert len(pub) == 24 and any(r["system"] == "MaskGCT" and r["value"] == "2.62" for r in pub)
    mine = {r["metric"]: r for r in rows if r["source"] == "measured here"}
    # the paper column holds no offline number: the paper-protocol cell was unavailable
    assert mine["Pure WER"]["value"] == "" and mine["Pure WER"]["unavailable"] == missing
    assert mine["Pure WER"]["protocol"] == wer_paper
    off = mine["Pure WER [wer@faster-whisper-base-seedtts]"]
    assert off["value"] == "0.0712" and off["ci95_lo"] == "0.1" and off["n"] == "12" and off["date"] == "2025-01-02"
    assert mine["ZS WER [wer@faster-whisper-base-seedtts]"]["value"] == "0.2"
    md = to_markdown(t)
    line = next(x for x in md.splitlines() if x.startswith("| measured here"))
    assert "0.0712 [0.1, 0.3] n=12" in line and missing not in line
    # the reason once, below the table, under its marker; the CSV row carries the same number
    sup = str(mine["Pure WER"]["footnote"]).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    assert md.count(missing) == 1 and f"\n{sup} {missing}" in md and f"n/a{sup}" in line
    assert off["footnote"] == ""
    assert "| published | MaskGCT |" in md


def test_offline_value_never_lands_in_a_paper_column_even_under_the_papers_key(tmp_path):
    # a results file whose cell carries the paper key but is NOT marked paper-protocol
    fd = "fd@panns-cnn14-16k"
    metrics = {fd: _cell("fd", "panns-cnn14-16k", 12.5, False), "fd@yamnet-16k": _cell("fd", "yamnet-16k", 3.25, False),
               "fad@vggish": _cell("fad", "vggish", 2.5, True)}
    p = _results(tmp_path, "audiocaps_t2a", "retrieval", metrics)
    t = build_tables([p])["t2a_audiocaps"]
    mine = {r["metric"]: r for r in _rows(to_csv(t)) if r["source"] == "measured here"}
    assert mine["FD"]["value"] == "" and "not marked paper-protocol" in mine["FD"]["unavailable"]
    assert mine["FD [fd@panns-cnn14-16k]"]["value"] == "12.5" and mine["FD [fd@yamnet-16k]"]["value"] == "3.25"
    assert mine["FAD"]["value"] == "2.5"  # a genuine paper-protocol cell does fill its column
    assert "not measured in this run: kl@panns-cnn14-16k" in mine["KL"]["unavailable"]


def test_row_subsets_and_written_files(tmp_path):
    lsd = _cell("lsd", "ssr-eval", 1.5, True)
    subsets = {s: {"lsd@ssr-eval": dict(lsd, value=v)} for s, v in (("add", 1.1), ("remove", 0.5), ("replace", 2.0))}
    p1 = _results(tmp_path, "editing", "dsp-edit", {"lsd@ssr-eval": lsd}, subsets)
    p2 = _results(tmp_path, "editing", "oracle", {"lsd@ssr-eval": dict(lsd, value=0.0)}, {}, folder="o")
    out = tmp_path / "gen"
    assert main(["leaderboard", str(p1), str(p2), "--out", str(out)]) == 0
    rows = _rows((out / "editing.csv").read_text())
    dsp = {r["subset"]: r["value"] for r in rows if r["system"] == "dsp-edit" and r["metric"] == "LSD"}
    assert dsp == {"add": "1.1", "remove": "0.5", "replace": "2", "overall": "1.5"}
    oracle_remove = next(r for r in rows if r["system"] == "oracle" and r["subset"] == "remove" and r["metric"] == "LSD")
    assert oracle_remove["value"] == "" and "subset remove" in oracle_remove["unavailable"]
    md = (out / "editing.md").read_text()
    assert md.count("| measured here | dsp-edit |") == 4 and "| published | SDEdit |" in md


def test_bad_inputs(tmp_path):
    with pytest.raises(LeaderboardError, match="no such results"):
        write_leaderboards([tmp_path / "nope"], tmp_path / "o")
    (tmp_path / "empty").mkdir()
    assert main(["leaderboard", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2


def test_unspecified_paper_protocol_points_to_the_pinned_variant(tmp_path):
    removal = _cell("removal", "yamnet-speech", 0.9, False, hib=True)
    p = _results(tmp_path, "speech_in_scene", "dsp-edit", {"removal@yamnet-speech": removal},
                 {"delete": {"removal@yamnet-speech": removal}})
    t = build_tables([p])["speech_in_scene"]
    rows = [r for r in _rows(to_csv(t)) if r["source"] == "measured here" and r["subset"] == "delete"]
    paper = next(r for r in rows if r["metric"] == "Removal")
    assert paper["value"] == "" and "names no model" in paper["unavailable"]
    assert next(r for r in rows if r["metric"] == "Removal [removal@yamnet-speech]")["value"] == "0.9"


def test_ablation_rows_are_labelled_like_the_paper():
    """A measured checkpoint of the ablations suite is labelled by the suite's own checkpoint entry
    (conditioning [name], arch) and its parameter count comes from its recorded config."""
    from bench.leaderboard import measured_label
    from unison.config import load_config, to_dict
    from unison.model.dit import build_dit

    model_cfg = load_config(["profile=tiny", "model.fusion=penultimate"])
    cfg = to_dict(model_cfg)
    built = sum(p.numel() for p in build_dit(model_cfg.model).parameters() if p.requires_grad)  # counted on the real module
    res = {"suite": {"name": "ablations", "scale": "mini"}, "seed": 0, "created": "2026-11-22T00:00:00",
           "system": {"name": "unison:x/tiny-L.safetensors",
                      "signature": {"checkpoint": "x/tiny-L.safetensors", "config": cfg}}}
    lab = measured_label(res)
    assert lab["system"] == "L (penultimate layer) [tiny-L]" and lab["subset"] == "tiny"
    assert lab["params"] == f"{built / 1e6:.2f}M" and 3.0e6 < built < 4.0e6
    assert measured_label({**res, "system": {"name": "oracle", "signature": {}}})["params"] == ""


@pytest.mark.parametrize("case", CASES)
def test_broken_results_exit_2_naming_file_metric_and_value(tmp_path, capsys, case):
    good = write_valid(tmp_path / "runs" / "good")
    bad = write_valid(tmp_path / "runs" / "bad", system="sysB")
    out = tmp_path / "o"
    assert main(["leaderboard", str(tmp_path / "runs"), "--out", str(out)]) == 0
    capsys.readouterr()
    expect = break_results(bad, case, KEY)
    code = main(["leaderboard", str(good), str(tmp_path / "runs"), "--out", str(tmp_path / "o2")])
    assert_refused(code, capsys.readouterr().err, bad, case, KEY, expect)
    assert not (tmp_path / "o2").exists()  # nothing written from half the results


def test_every_suite_maps_a_published_table_columns_and_rows_that_exist():
    from bench import registry
    from bench.leaderboard import PUBLISHED_DIR, check_mapping

    mapped = {}
    for name in registry.suite_files():
        spec = registry.load_suite(name)
        if spec.leaderboard is not None:
            assert check_mapping(spec, PUBLISHED_DIR), name
            mapped[name] = spec.leaderboard.table
    assert mapped == {"audiocaps_t2a": "t2a_audiocaps", "seedtts": "tts_seedtts", "gender_tts": "gender_tts",
                      "t2as": "t2as", "editing": "editing", "speech_in_scene": "speech_in_scene",
                      "timed_clap": "timed_clap", "ablations": "ablations", "speech_enhancement": "uniflow_se",
                      "super_resolution": "uniflow_sr", "target_speaker_extraction": "survey_uniaudio_tse",
                      "voice_conversion": "survey_uniaudio_vc", "text_to_music": "uniflow_t2m"}


def _suite_copy(tmp_path, name, edit):
    """A copy of a shipped suite with its leaderboard block edited, in a folder that takes precedence."""
    import yaml

    from bench.registry import find_suite

    raw = yaml.safe_load(find_suite(name).read_text())
    edit(raw["leaderboard"])
    folder = tmp_path / "suites"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    return [str(folder)]


@pytest.mark.parametrize("edit, message", [
    (lambda b: b.__setitem__("table", "tts_seedtts_v2"), r"'leaderboard.table': no published table 'tts_seedtts_v2'"),
    (lambda b: b["columns"].__setitem__("Pure SIM", {"subset": "tts-en"}),
     r"'leaderboard.columns.Pure SIM': table 'tts_seedtts' has no column 'Pure SIM'"),
    (lambda b: b.__setitem__("rows", {"en": "tts-en"}), r"'leaderboard.rows.en': table 'tts_seedtts' has no rows"),
])
def test_a_mapping_to_an_unknown_table_column_or_row_names_the_suite_file(tmp_path, capsys, edit, message):
    cell = _cell("wer", "faster-whisper-base-seedtts", 0.1, False)
    p = _results(tmp_path, "seedtts", "oracle", {"wer@faster-whisper-base-seedtts": cell})
    suites_dir = _suite_copy(tmp_path, "seedtts", edit)
    with pytest.raises(LeaderboardError, match=message) as e:
        build_tables([p], suites_dir=suites_dir)
    assert str(tmp_path / "suites" / "seedtts.yaml") in str(e.value)
    code = main(["leaderboard", str(p), "--out", str(tmp_path / "o"), "--suites-dir", suites_dir[0]])
    assert code == 2 and "seedtts.yaml" in capsys.readouterr().err


def test_tables_no_suite_maps_are_listed_as_published_only(tmp_path, capsys):
    from bench.leaderboard import PUBLISHED_DIR, published_only

    others = published_only()
    assert "uniflow_t2a" in others and "survey_uniaudio_se" in others
    assert not {"t2a_audiocaps", "ablations", "editing", "uniflow_se", "survey_uniaudio_vc"} & set(others)
    assert len(others) == len(list(PUBLISHED_DIR.glob("*.csv"))) - 13
    lsd = _cell("lsd", "ssr-eval", 1.5, True)
    p = _results(tmp_path, "editing", "oracle", {"lsd@ssr-eval": lsd})
    assert main(["leaderboard", str(p), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "published only (no suite maps them): " in out and "uniflow_vae" in out
    assert sorted(q.name for q in (tmp_path / "o").iterdir()) == ["editing.csv", "editing.md"]


def test_results_of_a_suite_without_a_table_are_skipped(tmp_path):
    lsd = _cell("lsd", "ssr-eval", 1.5, True)
    p1 = _results(tmp_path, "not_a_suite_here", "oracle", {"lsd@ssr-eval": lsd})
    p2 = _results(tmp_path, "editing", "oracle", {"lsd@ssr-eval": lsd})
    assert set(build_tables([p1, p2])) == {"editing"}
