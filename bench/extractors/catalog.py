"""Every feature extractor, by name -> "module:factory" (imported only when used, so a heavy
evaluator costs nothing until a metric asks for it). The factory returns a
bench.extractors.base.Extractor."""

EXTRACTORS: dict[str, str] = {
    "vggish": "bench.extractors.vggish:build",
    "yamnet-16k": "bench.extractors.yamnet:build",
}
