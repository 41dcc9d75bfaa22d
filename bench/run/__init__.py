"""The runner: one suite x one system x one seed -> results.json + samples.jsonl.

pipeline.py reads as the run (build -> generate -> validate -> extract -> score -> write); each stage
is its own module: generate.py, validate.py, extract.py, score.py; the document is built and
written by bench.results.
"""
from bench.run.pipeline import RunOptions, RunReport, run, run_dir

__all__ = ["RunOptions", "RunReport", "run", "run_dir"]
