"""The report in a real browser (headless Chromium, Debian's ``chromium``, which
.ci/run installs): it loads without console messages, and its charts and sample
tables are in the DOM Chromium built. Skipped where Chromium is not installed."""
from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, check_report, render
from thresher.operators.report import write_report

from .test_report import finished  # noqa: F401 - the module's finished run

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")


@needs_chromium
def test_report_renders_in_chromium(spark, finished, tmp_path):  # noqa: F811
    root, _ = finished
    page = write_report(spark, str(root / "out"), out=str(tmp_path / "report.html"))
    dom = check_report(page)
    assert dom.count("<svg") >= 3 and 'class="threshold"' in dom
    assert '<table class="sample">' in dom
    assert "<script>alert" not in dom  # the hostile sample stayed text


@needs_chromium
def test_console_errors_are_seen(tmp_path):
    # The check above is only worth something if a broken page fails it.
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('boom'); missing();</script></body></html>")
    _, console = render(page)
    assert any("boom" in line for line in console)
    assert any("missing is not defined" in line for line in console)
