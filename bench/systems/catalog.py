"""Every system, by name -> "module:factory" (imported only when used). The factory takes no
required arguments and returns a bench.systems.base.System. Add a system by adding one line.

``--system name:<arg>`` passes <arg> as the factory's first argument (bench.registry.create_system),
``--system-arg key=value`` as keyword arguments:
  unison:<ckpt>            (or --system-arg ckpt=..., or $UNISON_CHECKPOINT); also steps=, cfg=,
                           device=, dtype=, and config overrides such as llm.path=...
  voice:<voice name>       one fixed offline TTS voice (unison.core.sources.voices.VOICES)
  audioldm2 / stable-audio-open / f5-tts: weights=<local dir or file> (see bench/systems/external.py)
  files:<DIR>              audio a model made elsewhere, one file per item; also name=<label>, layout=ids|seedtts|
                           audiocaps, fit=none|pad-crop, tasks=<t1,t2> (see bench/systems/files.py)
"""

SYSTEMS: dict[str, str] = {
    "oracle": "bench.systems.oracle:OracleSystem",
    "unison": "bench.systems.unison:UnisonSystem",
    "voice": "bench.systems.voices:VoiceSystem",
    "voices-gender": "bench.systems.voices:GenderVoicesSystem",
    "retrieval": "bench.systems.retrieval:RetrievalSystem",
    "dsp-edit": "bench.systems.dsp_edit:DspEditSystem",
    "identity": "bench.systems.identity:IdentitySystem",
    "noisereduce": "bench.systems.noisereduce_se:NoiseReduceSystem",
    "spectral-replication": "bench.systems.band_replication:BandReplicationSystem",
    "audioldm2": "bench.systems.external:AudioLDM2System",
    "stable-audio-open": "bench.systems.external:StableAudioOpenSystem",
    "f5-tts": "bench.systems.external:F5TTSSystem",
    "files": "bench.systems.files:FilesSystem",
}
