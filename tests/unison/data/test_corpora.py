import json

import pytest

from unison.data.corpora import ADAPTERS, LayoutError, build_manifest
from unison.data.manifests import load_manifest


def test_audiocaps(tmp_path, tone):
    (tmp_path / "train.csv").write_text(
        "audiocap_id,youtube_id,start_time,caption\n"
        "91139,r1nicOVtvkQ,130,A woman talks nearby as water pours\n"
        "58146,UDGBjjwyaqE,20,Multiple clanging and clanking sounds\n"
        "11,missingYT,0,Gone from YouTube\n")
    tone(tmp_path / "audio" / "train" / "91139.wav")
    tone(tmp_path / "audio" / "train" / "UDGBjjwyaqE_20.flac", seconds=2.0)
    rows = ADAPTERS["audiocaps"](tmp_path)
    assert [(r.id, r.text, r.kind, round(r.duration, 2)) for r in rows] == [
        ("audiocaps/91139", "A woman talks nearby as water pours", "sound", 1.0),
        ("audiocaps/58146", "Multiple clanging and clanking sounds", "sound", 2.0)]
    out = build_manifest("audiocaps", tmp_path, tmp_path / "m.jsonl")
    assert len(load_manifest(out).rows) == 2


def test_wavcaps(tmp_path, tone):
    meta = tmp_path / "json_files" / "SoundBible"
    meta.mkdir(parents=True)
    (meta / "sb_final.json").write_text(json.dumps({"num_captions_per_audio": 1, "data": [
        {"title": "Airplane", "caption": "An airplane is landing.", "id": "2219", "duration": 1.0,
         "audio": "wav_path"},
        {"caption": "A bell rings.", "id": "99", "duration": 1.0, "audio": "wav_path"}]}))
    as_meta = tmp_path / "json_files" / "AudioSet_SL"
    as_meta.mkdir(parents=True)
    (as_meta / "as_final.json").write_text(json.dumps({"data": [
        {"id": "Y---1_cCGK4M.wav", "caption": "Music plays.", "duration": 1.0, "audio": "wav_path"}]}))
    tone(tmp_path / "Audio" / "SoundBible" / "2219.flac")
    tone(tmp_path / "Audio" / "AudioSet_SL" / "Y---1_cCGK4M.flac")
    rows = ADAPTERS["wavcaps"](tmp_path)
    assert sorted((r.id, r.text) for r in rows) == [("wavcaps/AudioSet_SL/Y---1_cCGK4M", "Music plays."),
                                                    ("wavcaps/SoundBible/2219", "An airplane is landing.")]


def test_audioset(tmp_path, tone):
    (tmp_path / "class_labels_indices.csv").write_text(
        'index,mid,display_name\n0,/m/09x0r,"Speech"\n1,/m/0bt9lr,"Dog"\n2,/m/05tny_,"Bark"\n')
    (tmp_path / "balanced_train_segments.csv").write_text(
        "# Segments csv created Sun Mar  5 10:54:31 2017\n"
        "# num_ytids=2, num_segs=2, num_unique_labels=3, num_positive_labels=3\n"
        "# YTID, start_seconds, end_seconds, positive_labels\n"
        '--PJHxphWEs, 30.000, 40.000, "/m/0bt9lr,/m/05tny_"\n'
        '--ZhevVpy1s, 50.000, 60.000, "/m/09x0r"\n')
    tone(tmp_path / "audio" / "Y--PJHxphWEs.wav")
    rows = ADAPTERS["audioset"](tmp_path)
    assert [(r.id, r.text) for r in rows] == [("audioset/--PJHxphWEs_30", "Dog, Bark")]


def test_vggsound(tmp_path, tone):
    (tmp_path / "vggsound.csv").write_text("---g-f_I2yQ,1,people marching,test\n--0PQM4-hqg,30,waterfall burbling,train\n")
    tone(tmp_path / "audio" / "--0PQM4-hqg_000030.wav")
    tone(tmp_path / "audio" / "---g-f_I2yQ_000001.wav")
    assert [(r.id, r.text) for r in ADAPTERS["vggsound"](tmp_path)] == [
        ("vggsound/--0PQM4-hqg_000030", "waterfall burbling")]
    assert len(ADAPTERS["vggsound"](tmp_path, split=None)) == 2


def test_libritts(tmp_path, tone):
    (tmp_path / "speakers.tsv").write_text("READER\tGENDER\tSUBSET\tNAME\n14\tF\ttrain-clean-360\tKristin\n"
                                           "16\tM\ttrain-clean-360\tSomeone\n")
    for spk, utt, text in [("14", "14_208_000001_000000", "Chapter one."), ("16", "16_122_000002_000001", "Hello.")]:
        d = tmp_path / "train-clean-360" / spk / utt.split("_")[1]
        tone(d / f"{utt}.wav", sr=24000)
        (d / f"{utt}.normalized.txt").write_text(text)
        (d / f"{utt}.original.txt").write_text(text)
    rows = ADAPTERS["libritts"](tmp_path)
    assert [(r.id, r.text, r.speaker, r.gender, r.kind) for r in rows] == [
        ("libritts/14_208_000001_000000", "Chapter one.", "libritts/14", "female", "speech"),
        ("libritts/16_122_000002_000001", "Hello.", "libritts/16", "male", "speech")]


def test_wenetspeech_segments_of_long_audio(tmp_path, tone):
    tone(tmp_path / "audio" / "train" / "youtube" / "B00000" / "Y0000000000_x.wav", seconds=6.0)
    (tmp_path / "WenetSpeech.json").write_text(json.dumps({"audios": [{
        "aid": "Y0000000000_x", "path": "audio/train/youtube/B00000/Y0000000000_x.wav", "duration": 6.0,
        "segments": [
            {"sid": "Y0000000000_x_S00000", "begin_time": 0.5, "end_time": 2.5, "text": "今天天气很好",
             "confidence": 1.0, "subsets": ["{L}", "{M}"]},
            {"sid": "Y0000000000_x_S00001", "begin_time": 3.0, "end_time": 5.0, "text": "测试", "subsets": ["{DEV}"]}]}]},
        ensure_ascii=False))
    rows = ADAPTERS["wenetspeech"](tmp_path)
    assert [(r.id, r.offset, r.end, r.duration, r.language) for r in rows] == [
        ("wenetspeech/Y0000000000_x_S00000", 0.5, 2.5, 2.0, "zh")]
    out = build_manifest("wenetspeech", tmp_path, tmp_path / "m.jsonl")
    assert len(load_manifest(out).rows) == 1  # the segment is validated inside the long file


def test_emilia_jsonl_and_per_utterance_json(tmp_path, tone):
    lang_dir = tmp_path / "EN"
    wav = "EN_B00000/EN_B00000_S00000/mp3/EN_B00000_S00000_W000000.wav"
    tone(lang_dir / wav)
    (lang_dir / "EN_B00000.jsonl").write_text(json.dumps({
        "id": "EN_B00000_S00000_W000000", "wav": wav, "text": " Hello there.", "duration": 1.0,
        "speaker": "EN_B00000_S00000", "language": "en", "dnsmos": 3.3}) + "\n")
    zh = tmp_path / "ZH" / "ZH_B00001"
    tone(zh / "ZH_B00001_S00002_W000003.wav")
    (zh / "ZH_B00001_S00002_W000003.json").write_text(json.dumps({
        "id": "ZH_B00001_S00002_W000003", "wav": "elsewhere.mp3", "text": "你好", "duration": 1.0,
        "speaker": "ZH_B00001_S00002", "language": "zh", "dnsmos": 3.1}, ensure_ascii=False))
    rows = ADAPTERS["emilia"](tmp_path)
    assert sorted((r.text, r.language, r.speaker) for r in rows) == [
        ("Hello there.", "en", "emilia/EN_B00000_S00000"), ("你好", "zh", "emilia/ZH_B00001_S00002")]
    assert len(ADAPTERS["emilia"](tmp_path, min_dnsmos=3.2)) == 1


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_wrong_folder_names_the_expected_layout(tmp_path, name):
    with pytest.raises(LayoutError, match="Expected layout"):
        ADAPTERS[name](tmp_path)
