"""Offline sources: real recorded sound effects with EN/ZH labels, real recorded speech with
transcripts, and real TTS voices with a fixed gender, all from installed packages (docs/design.md
§8). The model's mini training corpus, the suites' mini test sets and the TTS baselines all read
them from here."""
