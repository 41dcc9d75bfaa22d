"""Every metric variant, by key ``name@variant`` -> "module:factory" (imported only when used).

Add a variant by adding one line here; the factory returns a bench.metrics.base.Metric.
"""

METRICS: dict[str, str] = {
    # --- paper protocol (weights through the resolver) ---
    "fad@vggish": "bench.metrics.frechet:fad_vggish",
    "fd@panns-cnn14-16k": "bench.metrics.frechet:fd_panns",
    "kl@panns-cnn14-16k": "bench.metrics.classifier:kl_panns",
    "is@panns-cnn14-16k": "bench.metrics.classifier:is_panns",
    "clap@laion-music-speech": "bench.metrics.similarity:clap_music_speech",
    "clap-gt@laion-music-speech": "bench.metrics.similarity:clap_gt_music_speech",
    "clap@laion-630k": "bench.metrics.similarity:clap_630k",
    "clap-gt@laion-630k": "bench.metrics.similarity:clap_gt_630k",
    "wer@whisper-large-v3-seedtts": "bench.metrics.asr:wer_whisper_large_v3",
    "wer-corpus@whisper-large-v3-seedtts": "bench.metrics.asr:wer_corpus_whisper_large_v3",
    "cer@paraformer-zh-seedtts": "bench.metrics.asr:cer_paraformer_zh",
    "cer-corpus@paraformer-zh-seedtts": "bench.metrics.asr:cer_corpus_paraformer_zh",
    "sim@wavlm-ecapa": "bench.metrics.similarity:sim_wavlm_ecapa",
    "lsd@ssr-eval": "bench.metrics.lsd:lsd_ssr_eval",
    "lsd@ssr-eval-44.1k": "bench.metrics.lsd:lsd_ssr_eval_44k",
    # --- offline variants (run on this CPU machine) ---
    "fd@yamnet-16k": "bench.metrics.frechet:fd_yamnet",
    "fad@yamnet-16k": "bench.metrics.frechet:fad_yamnet",
    "kl@yamnet-16k": "bench.metrics.classifier:kl_yamnet",
    "is@yamnet-16k": "bench.metrics.classifier:is_yamnet",
    "kad@yamnet-16k": "bench.metrics.frechet:kad_yamnet",
    "kad@panns-cnn14-16k": "bench.metrics.frechet:kad_panns",
    "wer@faster-whisper-base-seedtts": "bench.metrics.asr:wer_faster_whisper_base",
    "cer@faster-whisper-base-seedtts": "bench.metrics.asr:cer_faster_whisper_base",
    "wer-corpus@faster-whisper-base-seedtts": "bench.metrics.asr:wer_corpus_faster_whisper_base",
    "cer-corpus@faster-whisper-base-seedtts": "bench.metrics.asr:cer_corpus_faster_whisper_base",
    "sim@resemblyzer": "bench.metrics.similarity:sim_resemblyzer",
    # --- classifier / detector-based metrics the paper names no model for (pinned, documented) ---
    "gender-acc@voice2gender": "bench.metrics.gender:gender_acc_voice2gender",
    "removal@yamnet-speech": "bench.metrics.removal:removal_yamnet_speech",
    "presence@yamnet": "bench.metrics.presence:presence_yamnet",
    "clap-seg@laion-music-speech": "bench.metrics.segments:clap_seg_music_speech",
    "presence-seg@yamnet": "bench.metrics.segments:presence_seg_yamnet",
}
