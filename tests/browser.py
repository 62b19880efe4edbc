"""Headless Chromium for the report tests: the DOM it built from a page and the
console messages it logged while loading it (errors, uncaught exceptions)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


def render(page: str | Path) -> tuple[str, list[str]]:
    """``(dom, console)`` of ``page`` loaded in headless Chromium."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", "--dump-dom", Path(page).resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return done.stdout, _CONSOLE.findall(done.stderr)


def check_report(page: str | Path) -> str:
    """The DOM of a thresher run report, after checking it loaded cleanly: no console
    message, the funnel and run sections and at least one chart present."""
    dom, console = render(page)
    assert console == [], f"{page}: console messages while loading: {console}"
    assert '<section id="funnel">' in dom and '<section id="run">' in dom, f"{page}: sections missing"
    assert "<svg" in dom, f"{page}: no chart in the DOM"
    return dom
