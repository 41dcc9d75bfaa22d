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
    assert res.status["n_img"] == paths.n_clips == res.status["img_ok"]
    assert all(a["readyState"] >= 1 for a in res.status["audio"])
    assert all(i["naturalWidth"] >= 400 for i in res.status["img"])
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
