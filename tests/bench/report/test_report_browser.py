"""The report in headless Chromium: it loads, and every <audio> and <img> resolves (read from the
page's own media self-check through --dump-dom); a broken reference is caught."""
import shutil

import pytest

from bench.report import build_report
from bench.report.browser import BrowserUnavailable, check_page, find_chromium


@pytest.fixture(scope="module")
def chromium():
    try:
        return find_chromium()
    except BrowserUnavailable as e:
        pytest.skip(str(e))


def test_report_loads_with_every_clip_and_image(chromium, toy_runs, tmp_path):
    paths = build_report(toy_runs.runs, tmp_path / "report", testsets_dir=toy_runs.testsets, items_per_suite=2)
    # open a copy elsewhere: the page must not depend on anything beside it
    page = tmp_path / "moved" / "index.html"
    page.parent.mkdir()
    shutil.copy(paths.html, page)
    shot = tmp_path / "report.png"
    res = check_page(page, shot, height=1600)
    assert res.status is not None, "the page's self-check never ran:\n" + res.dom[-2000:]
    assert res.status["n_audio"] == paths.n_clips == res.status["audio_ok"]
    assert res.status["n_img"] == paths.n_clips + 2 == res.status["img_ok"]  # + the values and distribution charts
    assert all(a["readyState"] >= 1 for a in res.status["audio"])
    assert all(i["naturalWidth"] >= 400 for i in res.status["img"] if i["mime"] == "data:image/png")  # spectrograms
    assert res.status["ok"] is True and 'data-media="ok"' in res.dom
    assert "rmsdiff@toy" in res.dom
    assert res.screenshot is not None and res.screenshot.stat().st_size > 10_000


def test_a_broken_reference_is_reported(chromium, toy_runs, tmp_path):
    paths = build_report(toy_runs.runs, tmp_path / "report", testsets_dir=toy_runs.testsets, items_per_suite=1)
    html = paths.html.read_text()
    first_img = html.index('src="data:image/png;base64,')
    first_audio = html.index('src="data:audio/ogg;base64,')
    broken = (html[:first_audio] + 'src="missing.ogg" data-x="' + html[first_audio + 5:first_img]
              + 'src="missing.png" data-x="' + html[first_img + 5:])
    page = tmp_path / "broken.html"
    page.write_text(broken)
    res = check_page(page)
    assert res.status is not None and res.status["ok"] is False
    assert res.status["audio_ok"] == res.status["n_audio"] - 1
    assert res.status["img_ok"] == res.status["n_img"] - 1
    assert 'data-media="broken"' in res.dom


def _media_all_resolve(res, n_clips, n_charts):
    assert res.status is not None, "the page's self-check never ran:\n" + res.dom[-2000:]
    st = res.status
    assert st["n_audio"] == st["audio_ok"] == n_clips
    assert st["n_img"] == st["img_ok"] == n_clips + n_charts
    # every clip decodes to a positive duration from an Ogg data URI; every image has pixels
    assert all(a["duration"] > 0 and a["mime"] == "data:audio/ogg" for a in st["audio"])
    assert all(i["naturalWidth"] > 0 and i["mime"] in ("data:image/png", "data:image/svg+xml") for i in st["img"])
    assert sum(i["mime"] == "data:image/svg+xml" for i in st["img"]) == n_charts
    assert st["errors"] == [] and res.console == [], (st["errors"], res.console)  # nothing logged at all
    assert st["ok"] is True and 'data-media="ok"' in res.dom


def test_report_charts_unavailable_list_worst_items_and_ab_page(chromium, toy_runs, tmp_path, capsys):
    """The report's new views in a real browser: charts decode, the collapsed list of variants not
    measured is there with its toggled rows, the worst-items view has its players; the A/B page of
    two runs resolves every clip and image; neither page logs anything to the console."""
    paths = build_report(toy_runs.runs, tmp_path / "report", testsets_dir=toy_runs.testsets, items_per_suite=1,
                         worst_per_metric=2)
    res = check_page(paths.html, tmp_path / "report.png", height=2400)
    _media_all_resolve(res, paths.n_clips, n_charts=2)
    assert 'class="chart chart-values"' in res.dom and 'class="chart chart-distributions"' in res.dom
    assert 'id="unavailable"' in res.dom and 'id="na-1"' in res.dom and "needsw@toy" in res.dom
    assert "show 1 metric variant not measured here" in res.dom
    assert 'id="worst-toy_report"' in res.dom and 'id="worst-toy_report-toy_gain-item005"' in res.dom

    from bench.cli import main

    runs = toy_runs.runs / "toy_report"
    ab = tmp_path / "ab" / "ab.html"
    assert main(["compare", str(runs / "oracle" / "0"), str(runs / "toy_bad" / "0"), "--html", str(ab),
                 "--testsets", str(toy_runs.testsets), "--n-boot", "50"]) == 0
    capsys.readouterr()
    res = check_page(ab, tmp_path / "ab.png", height=1800)
    # 6 items both scored (toy_bad's failed item 4 has no file): 3 test-set clips each + both outputs
    _media_all_resolve(res, 6 * 3 + 6 + 5, n_charts=0)
    assert 'id="verdicts"' in res.dom and 'class="ab-grid"' in res.dom
