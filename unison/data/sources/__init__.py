"""Offline sources (DESIGN.md section 4): real recorded sound effects with EN/ZH labels, real recorded
speech with transcripts, and real TTS voices with a fixed gender. Used by the offline mini corpus
(training) and by the suites' mini test sets and TTS baselines (bench/suites import them from here,
since unison never imports bench or suites)."""
