"""Regenerate docs/map.png: `circle map` on the bundled data, photographed in headless chromium.

Run from the repository root: ``python docs/make_map_screenshot.py``. Uses Debian's chromium
(/usr/bin/chromium) through Playwright with the network blocked, as the browser test does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import block_network, launch  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "map.html"
        subprocess.run(
            [sys.executable, "-m", "circle", "-q", "map", "--offline", "--out", str(html)],
            cwd=ROOT,
            check=True,
        )
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(viewport={"width": 1000, "height": 720})
            blocked: list[str] = []
            block_network(context, blocked)
            page = context.new_page()
            page.goto(html.as_uri())
            page.wait_for_function(
                "document.querySelectorAll('path.leaflet-interactive').length > 0"
            )
            page.wait_for_timeout(500)
            page.screenshot(path=ROOT / "docs" / "map.png")
            browser.close()
        if blocked:
            msg = f"the map asked the network for {blocked}"
            raise SystemExit(msg)
    print(f"wrote {ROOT / 'docs' / 'map.png'}")


if __name__ == "__main__":
    main()
