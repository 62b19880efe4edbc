#!/usr/bin/env python3
"""Redraw README's report screenshot, ``docs/report_quickstart.png``: run the quickstart
recipe into a scratch folder and photograph its report in headless Chromium.

Usage: ``python scripts/screenshot_report.py [--height 2600]`` (needs chromium:
``apt-get install -y chromium``).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2600)
    parser.add_argument("--out", default=str(ROOT / "docs" / "report_quickstart.png"))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        thresher = Path(sys.executable).with_name("thresher")
        subprocess.run([str(thresher), "run", str(ROOT / "recipes" / "quickstart.yaml")],
                       cwd=tmp, check=True)
        page = Path(tmp) / "out" / "quickstart_report.html"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--window-size={args.width},{args.height}",
                        f"--screenshot={os.path.abspath(args.out)}", page.as_uri()],
                       check=True, capture_output=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
