"""Every feature extractor, by name -> "module:factory" (imported only when used, so a heavy
evaluator costs nothing until a metric asks for it). The factory returns a
bench.extractors.base.Extractor."""

EXTRACTORS: dict[str, str] = {
    "waveform-16k": "bench.extractors.waveform:waveform_16k",
    "waveform-44.1k": "bench.extractors.waveform:waveform_44k",
    "waveform-48k": "bench.extractors.waveform:waveform_48k",
    "waveform-8k": "bench.extractors.waveform_rates:waveform_8k",
    "waveform-22.05k": "bench.extractors.waveform_rates:waveform_22k",
    "waveform-24k": "bench.extractors.waveform_rates:waveform_24k",
    "vggish": "bench.extractors.vggish:build",
    "panns-cnn14-16k": "bench.extractors.panns:build",
    "whisper-large-v3-hf": "bench.extractors.whisper_hf:build",
    "whisper-openai-large-v3": "bench.extractors.whisper_openai:build",
    "wavlm-ecapa": "bench.extractors.wavlm_ecapa:build",
    "paraformer-zh": "bench.extractors.paraformer:build",
    "laion-clap-music-speech": "bench.extractors.laion_clap:music_speech",
    "laion-clap-630k": "bench.extractors.laion_clap:clap_630k",
    "yamnet-16k": "bench.extractors.yamnet:build",
    "faster-whisper-base": "bench.extractors.faster_whisper_base:build",
    "faster-whisper-base-int8": "bench.extractors.faster_whisper_base:build_int8",
    "faster-whisper-tiny-en": "bench.extractors.faster_whisper_base:build_tiny_en",
    "resemblyzer": "bench.extractors.resemblyzer_ext:build",
    "voice2gender": "bench.extractors.gender:build",
    "laion-clap-music-speech-segments": "bench.extractors.segments:clap_music_speech_segments",
    "yamnet-16k-segments": "bench.extractors.segments:yamnet_segments",
    "dnsmos-speechmos": "bench.extractors.dnsmos:build",
    "yamnet-16k-frames": "bench.extractors.yamnet_frames:build",
    "msclap-2023": "bench.extractors.msclap_ext:build",
    "audiobox-aesthetics": "bench.extractors.audiobox_aesthetics_ext:build",
    "passt-32k": "bench.extractors.passt_ext:build",
    "utmos22-strong": "bench.extractors.utmos:build",
}
