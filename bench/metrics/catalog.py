"""Every metric variant, by key ``name@variant`` -> "module:factory" (imported only when used).

Add a variant by adding one line here; the factory returns a bench.metrics.base.Metric.
"""

METRICS: dict[str, str] = {
    # --- metrics helper: paper protocol (weights through the resolver) ---
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
    # --- metrics helper: offline variants (run on this CPU machine) ---
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
    # --- offline-extractors helper: classifier/detector-based metrics (pinned, documented) ---
    "gender-acc@voice2gender": "bench.metrics.gender:gender_acc_voice2gender",
    "removal@yamnet-speech": "bench.metrics.removal:removal_yamnet_speech",
    "presence@yamnet": "bench.metrics.presence:presence_yamnet",
    "clap-seg@laion-music-speech": "bench.metrics.segments:clap_seg_music_speech",
    "presence-seg@yamnet": "bench.metrics.segments:presence_seg_yamnet",
    # --- signal metrics (enhancement / separation / conversion): reference packages, offline ---
    "pesq@wb-16k": "bench.metrics.signal:pesq_wb",
    "pesq@nb-8k": "bench.metrics.signal:pesq_nb",
    "stoi@16k": "bench.metrics.signal:stoi_16k",
    "estoi@16k": "bench.metrics.signal:estoi_16k",
    "si-sdr@16k-cap100": "bench.metrics.signal:si_sdr_16k",
    "si-sdri@16k-cap100": "bench.metrics.signal:si_sdri_16k",
    "mcd@pymcd-dtw": "bench.metrics.signal:mcd_dtw",
    "mcd@pymcd-dtw-sl": "bench.metrics.signal:mcd_dtw_sl",
    "dnsmos-sig@p835-16k": "bench.metrics.mos:dnsmos_sig",
    "dnsmos-bak@p835-16k": "bench.metrics.mos:dnsmos_bak",
    "dnsmos-ovrl@p835-16k": "bench.metrics.mos:dnsmos_ovrl",
    "dnsmos@p808-16k": "bench.metrics.mos:dnsmos_p808",
    # --- sample-size-corrected Fréchet distances (fadtk's FAD-inf), one per Fréchet variant ---
    "fad-inf@vggish": "bench.metrics.fad_inf:fad_inf_vggish",
    "fd-inf@panns-cnn14-16k": "bench.metrics.fad_inf:fd_inf_panns",
    "fd-inf@yamnet-16k": "bench.metrics.fad_inf:fd_inf_yamnet",
    "fad-inf@yamnet-16k": "bench.metrics.fad_inf:fad_inf_yamnet",
    # --- timed composition judged on events (YAMNet frame detections, DCASE event-based) ---
    "event-f1@yamnet-dcase": "bench.metrics.events:event_f1_yamnet",
    "onset-err@yamnet": "bench.metrics.events:onset_err_yamnet",
    "offset-err@yamnet": "bench.metrics.events:offset_err_yamnet",
    # --- paper-protocol extractors the field reports (weights through the resolver) ---
    "clap@msclap-2023": "bench.metrics.field:clap_msclap",
    "clap-gt@msclap-2023": "bench.metrics.field:clap_gt_msclap",
    "aes-ce@audiobox-aesthetics": "bench.metrics.field:aes_ce",
    "aes-cu@audiobox-aesthetics": "bench.metrics.field:aes_cu",
    "aes-pc@audiobox-aesthetics": "bench.metrics.field:aes_pc",
    "aes-pq@audiobox-aesthetics": "bench.metrics.field:aes_pq",
    "fd@passt-avbench": "bench.metrics.field:fd_passt",
    "kl@passt-avbench": "bench.metrics.field:kl_passt",
    "fd-inf@passt-avbench": "bench.metrics.field:fd_inf_passt",
    "utmos@utmos22-strong": "bench.metrics.field:utmos_strong",
}
