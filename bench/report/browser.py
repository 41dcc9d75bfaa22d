"""Open a report in headless Chromium and read back the page's own media self-check.

The page writes a JSON status into ``<pre id="media-status">`` once every <audio> has its metadata
and every <img> has decoded (see bench.report.template). ``--dump-dom`` with a virtual-time budget
prints the DOM after the scripts ran; we parse the status from it. Chromium's own log (stderr with
--enable-logging) gives every console message the page produced, script errors included.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--mute-audio")
_STATUS_RE = re.compile(r'<pre id="media-status">(.*?)</pre>', re.S)
_CONSOLE_RE = re.compile(r":CONSOLE(?::|\()\d*\)?\] (.*)")


class BrowserUnavailable(RuntimeError):
    """No Chromium on this machine."""


@dataclass
class PageCheck:
    status: dict[str, Any] | None  # the page's JSON self-check, None if it never ran
    dom: str
    screenshot: Path | None
    console: list[str]  # console messages (logs, errors, uncaught exceptions) Chromium reported


def find_chromium() -> str:
    env = os.environ.get("UNISON_CHROMIUM")
    for cand in ((env,) if env else ()) + CHROMIUM_CANDIDATES:
        path = shutil.which(cand) if not os.path.isabs(cand) else (cand if os.path.exists(cand) else None)
        if path:
            return path
    raise BrowserUnavailable("no Chromium found (tried $UNISON_CHROMIUM and "
                             f"{', '.join(CHROMIUM_CANDIDATES)}); install Debian's chromium")


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def check_page(page: str | Path, screenshot: str | Path | None = None, *, budget_ms: int = 20000,
               width: int = 1280, height: int = 2400, timeout: float = 180.0) -> PageCheck:
    """Load ``page`` (a local HTML file) headless; return its media self-check (and a screenshot)."""
    exe = find_chromium()
    url = Path(page).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="unison-chromium-") as profile:
        base = [exe, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}"]
        proc = _run([*base, "--enable-logging=stderr", "--v=0", "--dump-dom", url], timeout)
        dom = proc.stdout
        console = [m.group(1) for m in map(_CONSOLE_RE.search, proc.stderr.splitlines()) if m]
        shot = None
        if screenshot is not None:
            shot = Path(screenshot).resolve()
            _run([*base, f"--screenshot={shot}", f"--window-size={width},{height}", "--hide-scrollbars", url],
                 timeout)
            shot = shot if shot.is_file() else None
    m = _STATUS_RE.search(dom)
    status = None
    if m and m.group(1).strip():
        status = json.loads(html.unescape(m.group(1)))
    return PageCheck(status=status, dom=dom, screenshot=shot, console=console)
