"""Offline sources (DESIGN.md section 4): real recorded sound effects with EN/ZH labels, real recorded
speech with transcripts, and real TTS voices with a fixed gender. Shared by the mini corpus
(unison.data) and the suites' mini test sets."""
