"""``unison-bench export``: a test set written in a documented, model-agnostic layout, for models run
outside bench (their outputs come back through the ``files`` system).

write.py plans and writes the folder (items.jsonl, audio copies, the suite's outside layouts,
FORMAT.md, export.json); format.py is the FORMAT.md note.
"""
from bench.export.write import ExportError, export_testset

__all__ = ["ExportError", "export_testset"]
