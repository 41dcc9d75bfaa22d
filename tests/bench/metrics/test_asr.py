import pytest

from bench.item import Item
from bench.metrics.asr import (CER, WER, CorpusCER, CorpusWER, EditOps, corpus_rate, edit_ops,
                               normalize, to_simplified)


@pytest.mark.parametrize("raw, expected", [
    ("Don't STOP, believing!", "don't stop believing"),      # apostrophe kept, case folded
    ("A well-known fact.", "a wellknown fact"),               # hyphen deleted, not spaced
    ("It costs $42.50 in 2024", "it costs 4250 in 2024"),     # digits untouched, no number words
    ("two  spaces   here ", "two spaces here"),               # runs of spaces collapse
    ("“Quoted” ‘curly’ — dash…", "quoted curly dash"),        # CJK/typographic punctuation goes too
])
def test_normalize_en(raw, expected):
    assert normalize(raw, "en") == expected


def test_normalize_zh():
    assert normalize("你好，世界！", "zh") == "你 好 世 界"
    assert normalize("《三体》第3部：AI 来了。", "zh") == "三 体 第 3 部 A I 来 了"  # per char, digits kept
    assert normalize("全角\u3000空格", "zh") == "全 角 空 格"  # ideographic space is zhon punctuation
    with pytest.raises(ValueError):
        normalize("x", "fr")


def test_edit_ops_and_rates():
    ops = edit_ops("The cat sat on the mat.", "the cat sat on a hat on", "en")
    assert (ops.substitutions, ops.deletions, ops.insertions, ops.n_ref) == (2, 0, 1, 6)
    assert ops.rate == pytest.approx(3 / 6)
    assert edit_ops("Hello, world!", "hello world", "en").rate == 0.0
    assert edit_ops("hello world", "", "en").rate == 1.0  # empty hypothesis: all deletions
    with pytest.raises(ValueError):
        edit_ops("?!", "anything", "en")  # empty reference after normalisation


def test_zh_cer_simplifies_hypothesis():
    assert to_simplified("這是傳統的漢字") == "这是传统的汉字"
    assert edit_ops("这是简体字。", "這是簡體字", "zh").rate == 0.0
    ops = edit_ops("今天天气很好", "今天天氣不好", "zh")  # 氣 -> 气 after conversion; 不 vs 很 remains
    assert (ops.substitutions, ops.n_ref) == (1, 6)


def test_utterance_mean_differs_from_corpus_rate():
    short = edit_ops("yes", "no", "en")  # 1 error / 1 word
    long = edit_ops("one two three four five six seven eight nine", "one two three four five six seven eight nine", "en")
    assert short.rate == 1.0 and long.rate == 0.0
    assert corpus_rate([short, long]) == pytest.approx(1 / 10)  # corpus: 0.1; utterance mean: 0.5
    with pytest.raises(ValueError):
        corpus_rate([])


def _item(i, text, lang):
    return Item(id=f"u{i}", task="tts", instruction="say it", seconds=2.0, seed=i, text=text, lang=lang)


def test_metric_classes_mean_corpus_and_language_filter():
    items = [_item(0, "yes", "en"),
             _item(1, "one two three four five six seven eight nine", "en"),
             _item(2, "你好世界", "zh"),
             _item(3, "failed one", "en")]
    hyps = {"gen": [{"text": "no"}, {"text": "One, two, three, four, five, six, seven, eight, nine."},
                    {"text": "你好世間"}, None]}
    wer = WER("whisper-large-v3-hf", "whisper-large-v3-seedtts", paper_protocol=True)
    assert wer.key == "wer@whisper-large-v3-seedtts" and wer.needs == {"gen": "whisper-large-v3-hf"}
    res = wer.score(items, hyps)
    assert res.value == pytest.approx(0.5) and res.n == 2
    assert res.per_item == [1.0, 0.0, None, None]
    assert res.extra["not_applicable"] == [2] and res.extra["n_failed"] == 1
    assert res.extra["corpus_rate"] == pytest.approx(0.1)
    assert res.extra["edit_ops"][0] == {"hits": 0, "substitutions": 1, "deletions": 0,
                                        "insertions": 0, "n_ref": 1}

    corpus = CorpusWER("whisper-large-v3-hf", "whisper-large-v3-seedtts").score(items, hyps)
    assert corpus.value == pytest.approx(0.1) and corpus.per_item is None
    assert corpus.ci95[0] <= 0.1 <= corpus.ci95[1]

    cer = CER("paraformer-zh", "paraformer-zh-seedtts").score(items, hyps)
    assert cer.value == pytest.approx(0.25) and cer.extra["not_applicable"] == [0, 1, 3]
    assert CorpusCER("paraformer-zh", "x").score(items, hyps).value == pytest.approx(0.25)


def test_bad_reference_marks_item_failed_with_reason():
    items = [_item(0, "...", "en"), _item(1, "fine", "en")]
    res = WER("faster-whisper-base", "faster-whisper-base-seedtts").score(
        items, {"gen": [{"text": "x"}, {"text": "fine"}]})
    assert res.per_item == [None, 0.0] and "u0" in res.extra["errors"]
    assert isinstance(EditOps(1, 0, 0, 0, 1).rate, float)
