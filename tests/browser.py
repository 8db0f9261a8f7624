"""Debian's chromium driven by Playwright, with the network cut (see shared notes/browser-tests.md).

Never downloads a browser (`playwright install` is not used): it drives /usr/bin/chromium.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
#: as root chromium needs --no-sandbox; the host-resolver rule makes every DNS lookup fail inside
#: the browser, so even its own background traffic cannot reach the network
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def launch(playwright):
    """Headless Debian chromium."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)


def block_network(context, blocked: list[str]) -> None:
    """Abort every http(s)/ws request of the pages in `context`, recording its URL."""

    def route(rt):
        if rt.request.url.startswith(("http:", "https:", "ws:", "wss:")):
            blocked.append(rt.request.url)
            rt.abort("blockedbyclient")
        else:
            rt.continue_()

    context.route("**/*", route)


def watch(page, failed: list, console_errors: list, page_errors: list, dialogs: list) -> None:
    """Record the page's failed requests, console errors, script errors and dialogs (dismissed)."""
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
