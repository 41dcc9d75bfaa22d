"""Intelligibility: WER (English) and CER (Chinese) of an ASR transcript against the item's text,
with seed-tts-eval's normalisation and aggregation.

Facts (seed-tts-eval run_wer.py / average_wer.py):
- punctuation = zhon.hanzi.punctuation + string.punctuation; every character of it except the
  ASCII apostrophe is deleted (not replaced by a space) from reference and hypothesis;
- then double spaces -> one space; EN: lowercase; ZH: every character becomes a token
  (" ".join(chars)); no number normalisation (digits stay digits);
- ZH hypotheses are converted traditional -> simplified (zhconv, 'zh-cn');
- jiwer's default word transform (strip, collapse spaces, split) then scores it;
- the reported number is the MEAN of per-utterance WER (not the corpus rate).
We keep each item's edit-op counts so the corpus rate is available as its own variant.
"""
from __future__ import annotations

import re
import string
from dataclasses import asdict, dataclass

import jiwer

from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.metrics.common import Feats, mean_result, role_feats, take
from bench.stats import bootstrap_ratio_ci


def _punctuation() -> str:
    try:
        from zhon.hanzi import punctuation as cjk
    except ImportError as e:  # a silent fallback would change every CER
        raise ImportError("the seed-tts-eval normaliser needs the 'zhon' package "
                          "(its CJK punctuation list): pip install zhon") from e
    return "".join(ch for ch in cjk + string.punctuation if ch != "'")


_PUNCT_TABLE: dict[int, None] | None = None
_SPACES = re.compile(r" {2,}")


def _punct_table() -> dict[int, None]:
    global _PUNCT_TABLE
    if _PUNCT_TABLE is None:
        _PUNCT_TABLE = {ord(ch): None for ch in _punctuation()}
    return _PUNCT_TABLE


def to_simplified(text: str) -> str:
    try:
        import zhconv
    except ImportError as e:
        raise ImportError("Chinese CER converts traditional to simplified characters with the "
                          "'zhconv' package (as seed-tts-eval does): pip install zhconv") from e
    return zhconv.convert(text, "zh-cn")


def normalize(text: str, lang: str) -> str:
    """seed-tts-eval normalisation. EN: words, lowercase; ZH: space-separated characters."""
    t = text.translate(_punct_table())
    t = _SPACES.sub(" ", t).strip()
    if lang == "en":
        return t.lower()
    if lang == "zh":
        return " ".join(ch for ch in t if not ch.isspace())
    raise ValueError(f"unsupported language {lang!r}: expected 'en' or 'zh'")


@dataclass(frozen=True)
class EditOps:
    """Word (or character) alignment counts of one utterance; n_ref = words in the reference."""

    hits: int
    substitutions: int
    deletions: int
    insertions: int
    n_ref: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        return self.errors / self.n_ref


def edit_ops(reference: str, hypothesis: str, lang: str, simplify_hypothesis: bool | None = None) -> EditOps:
    """Normalise both sides and align them with jiwer.process_words."""
    if simplify_hypothesis is None:
        simplify_hypothesis = lang == "zh"
    if simplify_hypothesis:
        hypothesis = to_simplified(hypothesis)
    ref, hyp = normalize(reference, lang), normalize(hypothesis, lang)
    if not ref:
        raise ValueError(f"reference text is empty after normalisation: {reference!r}")
    out = jiwer.process_words(ref, hyp)
    n_ref = out.hits + out.substitutions + out.deletions
    return EditOps(out.hits, out.substitutions, out.deletions, out.insertions, n_ref)


def corpus_rate(ops: list[EditOps]) -> float:
    """sum(errors) / sum(reference words)."""
    total = sum(o.n_ref for o in ops)
    if total == 0:
        raise ValueError("corpus rate over no reference words")
    return sum(o.errors for o in ops) / total


class _ASRMetric(Metric):
    """Scores items whose ``lang`` is this metric's language; others are not applicable."""

    higher_is_better = False
    version = "1"
    lang = "en"

    def __init__(self, extractor: str, variant: str, paper_protocol: bool = False):
        self.extractor = extractor
        self.variant = variant
        self.paper_protocol = paper_protocol
        self.needs = {"gen": extractor}

    def wants(self, item: Item, role: str) -> bool:
        return item.lang == self.lang and item.text is not None

    def _ops(self, items: list[Item], feats: Feats) -> tuple[list[EditOps | None], list[int], dict]:
        gen = role_feats(feats, "gen", len(items))
        ops: list[EditOps | None] = []
        not_applicable: list[int] = []
        errors: dict[str, str] = {}
        for i, item in enumerate(items):
            if not self.wants(item, "gen"):
                not_applicable.append(i)
                ops.append(None)
                continue
            hyp = take(gen[i], "text", f"{self.key} item {item.id}")
            if hyp is None:
                ops.append(None)
                continue
            try:
                ops.append(edit_ops(item.text, str(hyp), self.lang))
            except ValueError as e:  # e.g. a reference made only of punctuation: that item fails
                errors[item.id] = str(e)
                ops.append(None)
        return ops, not_applicable, errors

    @staticmethod
    def _ops_json(ops: list[EditOps | None]) -> list[dict | None]:
        return [None if o is None else asdict(o) for o in ops]


class UtteranceErrorRate(_ASRMetric):
    """MEAN of per-utterance WER/CER (seed-tts-eval's reported number)."""

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        ops, na, errors = self._ops(items, feats)
        per_item = [None if o is None else o.rate for o in ops]
        extra = {"lang": self.lang, "edit_ops": self._ops_json(ops), "errors": errors}
        present = [o for o in ops if o is not None]
        if present:
            extra["corpus_rate"] = corpus_rate(present)
        return mean_result(per_item, na, extra, what=self.key)


class CorpusErrorRate(_ASRMetric):
    """Corpus WER/CER: total edits / total reference words, CI by resampling items."""

    def score(self, items: list[Item], feats: Feats) -> MetricResult:
        ops, na, errors = self._ops(items, feats)
        present = [o for o in ops if o is not None]
        n_failed = sum(1 for i, o in enumerate(ops) if o is None and i not in set(na))
        extra = {"lang": self.lang, "edit_ops": self._ops_json(ops), "errors": errors,
                 "not_applicable": na, "n_failed": n_failed}
        if not present:
            return MetricResult(value=None, n=0, extra=extra,
                                unavailable=f"{self.key}: no scorable {self.lang} utterance")
        ci = bootstrap_ratio_ci([o.errors for o in present], [o.n_ref for o in present])
        return MetricResult(value=corpus_rate(present), n=len(present), ci95=ci, extra=extra)


class WER(UtteranceErrorRate):
    name = "wer"
    lang = "en"


class CER(UtteranceErrorRate):
    name = "cer"
    lang = "zh"


class CorpusWER(CorpusErrorRate):
    name = "wer-corpus"
    lang = "en"


class CorpusCER(CorpusErrorRate):
    name = "cer-corpus"
    lang = "zh"


# Factories for bench/metrics/catalog.py.
# Version 2: the decoder prompt is given as language / task (seed-tts-eval's forced_decoder_ids,
# the same tokens, is rejected by current transformers); recorded in the extractor's signature.
WHISPER_SEEDTTS_VERSION = "2"


def wer_whisper_large_v3() -> WER:
    metric = WER("whisper-large-v3-hf", "whisper-large-v3-seedtts", paper_protocol=True)
    metric.version = WHISPER_SEEDTTS_VERSION
    return metric


def wer_corpus_whisper_large_v3() -> CorpusWER:
    metric = CorpusWER("whisper-large-v3-hf", "whisper-large-v3-seedtts")
    metric.version = WHISPER_SEEDTTS_VERSION
    return metric


def cer_paraformer_zh() -> CER:
    return CER("paraformer-zh", "paraformer-zh-seedtts", paper_protocol=True)


def cer_corpus_paraformer_zh() -> CorpusCER:
    return CorpusCER("paraformer-zh", "paraformer-zh-seedtts")


def wer_faster_whisper_base() -> WER:
    return WER("faster-whisper-base", "faster-whisper-base-seedtts")


def cer_faster_whisper_base() -> CER:
    return CER("faster-whisper-base", "faster-whisper-base-seedtts")


def wer_corpus_faster_whisper_base() -> CorpusWER:
    return CorpusWER("faster-whisper-base", "faster-whisper-base-seedtts")


def cer_corpus_faster_whisper_base() -> CorpusCER:
    return CorpusCER("faster-whisper-base", "faster-whisper-base-seedtts")


def wer_faster_whisper_base_int8() -> WER:
    return WER("faster-whisper-base-int8", "faster-whisper-base-int8-seedtts")


def cer_faster_whisper_base_int8() -> CER:
    return CER("faster-whisper-base-int8", "faster-whisper-base-int8-seedtts")


def wer_corpus_faster_whisper_base_int8() -> CorpusWER:
    return CorpusWER("faster-whisper-base-int8", "faster-whisper-base-int8-seedtts")


def cer_corpus_faster_whisper_base_int8() -> CorpusCER:
    return CorpusCER("faster-whisper-base-int8", "faster-whisper-base-int8-seedtts")
