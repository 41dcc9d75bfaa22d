"""Report charts: valid SVG, the same bytes for the same values, direction stated, best marked,
and a bounded size however many items a suite has."""
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from bench.report import charts

SYSTEMS = ["oracle", "baseline", "unison"]


def _values(higher):
    return [{"key": "fd@yamnet-16k", "higher": higher,
             "values": [{"value": 1.0, "lo": 0.5, "hi": 1.5}, {"value": 3.0, "lo": 2.0, "hi": 4.0}, None]}]


def _coloured_labels(svg, colour):
    """Texts drawn in ``colour``, by inline style or by class (the minifier turns repeated styles into classes)."""
    css = dict(re.findall(r"\.(s\d+)\{([^}]*)\}", svg))
    out = []
    for attrs, text in re.findall(r"<text([^>]*)>([^<]+)</text>", svg):
        style = re.search(r'style="([^"]*)"', attrs)
        cls = re.search(r'class="([^"]*)"', attrs)
        if colour in (style.group(1) if style else css.get(cls.group(1), "") if cls else ""):
            out.append(text)
    return out


def test_values_chart_marks_the_best_by_direction_and_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path))
    low, high = charts.values_chart(_values(False), SYSTEMS), charts.values_chart(_values(True), SYSTEMS)
    assert low == charts.values_chart.__wrapped__(_values(False), SYSTEMS)  # drawn again: same bytes
    for svg in (low, high):
        ET.fromstring(svg)  # still well-formed after minifying
        assert b"Date" not in svg and b"matplotlib.org" not in svg
    text = low.decode()
    assert "lower is better" in text and "higher is better" in high.decode()
    # the best system's tick label is drawn in the BEST colour: oracle when lower wins, baseline when higher does
    assert _coloured_labels(text, charts.BEST) == ["oracle"]
    assert _coloured_labels(high.decode(), charts.BEST) == ["baseline"]
    assert "n/a" in text  # unison has no value: said, not drawn


def test_charts_are_drawn_once_then_read_back(tmp_path, monkeypatch):
    """A warm report reads its charts from the report-media cache; other values are drawn anew."""
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path))
    first = charts.values_chart(_values(False), SYSTEMS)
    monkeypatch.setattr(charts, "_style", lambda: (_ for _ in ()).throw(AssertionError("drew again")))
    assert charts.values_chart(_values(False), SYSTEMS) == first
    other = _values(False)
    other[0]["values"][0]["value"] = 1.25
    with pytest.raises(AssertionError, match="drew again"):  # other values: drawn, not read
        charts.values_chart(other, SYSTEMS)


def test_distribution_chart_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(0)
    many = [{"key": "wer@x", "higher": False, "scores": [sorted(rng.random(2000).tolist()) for _ in SYSTEMS]}]
    svg = charts.distribution_chart(many, SYSTEMS)
    assert svg == charts.distribution_chart.__wrapped__(many, SYSTEMS) and len(svg) < 60_000
    assert b"<image" in svg  # the dots became one embedded bitmap
    few = [{"key": "wer@x", "higher": False, "scores": [[0.1, 0.2], [], [0.3]]}]
    svg = charts.distribution_chart(few, SYSTEMS).decode()
    assert "<image" not in svg and "no per-item scores" in svg and "2 items" in svg
