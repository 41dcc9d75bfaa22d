"""The HTML report (one self-contained page) and Markdown summary of a runs folder."""
from bench.report.build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]
