"""Regenerate docs/whatif.png: `circle site --add 3 --map` on the bundled data, three candidate
sites chosen by clicking, photographed in headless chromium.

Run from the repository root: ``python docs/make_whatif_screenshot.py``. Uses Debian's chromium
(/usr/bin/chromium) through Playwright with the network blocked, as the browser test does.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import block_network, launch  # noqa: E402

#: a library, a university building and a museum of the bundled data
PICKS = ["node/369550855", "way/17359264", "way/8042215"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sites"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "circle",
                "-q",
                "site",
                "--add",
                "3",
                "--map",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(viewport={"width": 1100, "height": 760})
            blocked: list[str] = []
            block_network(context, blocked)
            page = context.new_page()
            page.goto((out / "map.html").as_uri())
            page.wait_for_function("document.querySelectorAll('path.circle-candidate').length > 0")
            page.click("#whatif-clear")
            for cid in PICKS:
                page.locator(f'path.circle-candidate[data-candidate-id="{cid}"]').click()
            page.mouse.move(0, 0)
            page.wait_for_timeout(500)
            png = page.screenshot()
            browser.close()
        # 256 colours keep the picture sharp and the file small
        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256)
        image.save(ROOT / "docs" / "whatif.png", optimize=True)
        if blocked:
            msg = f"the map asked the network for {blocked}"
            raise SystemExit(msg)
    print(f"wrote {ROOT / 'docs' / 'whatif.png'}")


if __name__ == "__main__":
    main()
