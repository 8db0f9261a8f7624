#!/usr/bin/env bash
# System packages the test suite needs (Debian). Idempotent: installs only what is missing, so a
# fresh machine gets everything and a prepared one spends no time. Part of the README's test
# command (and so of .ci/run): a green CI can never hide a missing install step.
set -euo pipefail
PACKAGES=()
need() { dpkg -s "$1" >/dev/null 2>&1 || PACKAGES+=("$1"); }
# (each feature adds the Debian packages its tests need here)
# PostGIS tests (tests/test_db.py) start their own throw-away server from these binaries
need postgresql-15
need postgresql-15-postgis-3
need chromium  # tests/test_map_browser.py opens the offline map in headless chromium
# Chinese text: the --lang zh map screenshot (chromium via fontconfig) and matplotlib figures
# (circle.fonts.use_cjk_font, tests/test_fonts.py)
need fonts-wqy-microhei
# issue 19: tests/test_printable.py renders report.pdf to PNG (pdftoppm) and lists its fonts (pdffonts)
need poppler-utils
if [ ${#PACKAGES[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
fi
