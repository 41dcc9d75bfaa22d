"""paraformer-zh (cer@paraformer-zh-seedtts) against seed-tts-eval's funasr call.

seed-tts-eval (not on PyPI) runs ``AutoModel(model="paraformer-zh").generate(input=<wav path>,
batch_size_s=300)`` and converts the text with ``zhconv.convert(text, "zh-cn")``: funasr reads
and resamples the file itself (torchaudio.load, falling back to soundfile when TorchCodec is
missing as here; torchaudio's Resample to 16 kHz). Ours hands funasr bench's soxr-resampled
array. Both sides use the same tiny SeACo-Paraformer directory in the published layout and the
same funasr model object, so what is compared is the input path and the post-processing."""
import jiwer
import pytest
import soundfile as sf
import zhconv

from unison.core.audio import read_mono
from bench.extractors.paraformer import ParaformerZhExtractor
from conformance_common import clip_paths, pkg
from paraformer_tiny import save_tiny_paraformer

pytestmark = pytest.mark.conformance
pytest.importorskip("funasr")


def test_transcripts_match_seed_tts_eval_call(tmp_path, record):
    ext = ParaformerZhExtractor(weights=save_tiny_paraformer(tmp_path / "paraformer-zh") / "model.pt")
    worst_16k, worst_other = 0, 0.0
    for path in clip_paths():
        ours = ext.extract([read_mono(path, 16000)[0]], ["zh"])[0]["text"]
        res = ext.model.generate(input=str(path), batch_size_s=300)  # seed-tts-eval's call, on the file
        theirs = zhconv.convert(res[0]["text"] if res else "", "zh-cn")
        assert theirs, "the tiny model must emit tokens for the comparison to mean anything"
        if sf.info(str(path)).samplerate == 16000:
            worst_16k = max(worst_16k, int(ours != theirs))
        else:
            worst_other = max(worst_other, jiwer.cer(theirs.replace(" ", ""), ours.replace(" ", "") or "-"))
    record("paraformer-zh transcript", pkg("funasr"), "16 kHz clips: our array vs funasr reading the file "
           "(transcripts differing)", worst_16k, tolerance=0)
    record("paraformer-zh transcript", pkg("funasr"), "8 / 44.1 kHz clips: soxr HQ vs funasr's torchaudio "
           "Resample (CER between the transcripts)", worst_other, tolerance=1.0, note="resampler, tiny random model")
