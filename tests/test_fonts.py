"""Chinese text in matplotlib figures: circle.report.fonts.use_cjk_font."""

from __future__ import annotations

import os
import warnings

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import rc_context  # noqa: E402

from circle.errors import CircleWarning  # noqa: E402
from circle.report import fonts

TEXT = "15分钟就业服务圈 覆盖率 未覆盖人口"


def _draw(tmp_path) -> list[str]:
    """Draw TEXT into a PNG; the warnings matplotlib gave (missing glyphs among them)."""
    fig, ax = plt.subplots(figsize=(4, 1))
    try:
        ax.set_title(TEXT)
        ax.set_xlabel("步行时间（分钟）")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(tmp_path / "figure.png", dpi=50)
    finally:
        plt.close(fig)
    return [str(w.message) for w in caught]


@pytest.fixture
def cjk_font():
    path = fonts.find_cjk_font()
    if path is None:
        reason = "no CJK font: scripts/install-system-deps.sh installs fonts-wqy-microhei"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def test_chinese_renders_without_missing_glyphs(cjk_font, tmp_path):
    with rc_context():
        family = fonts.use_cjk_font()
        assert family == matplotlib.font_manager.FontProperties(fname=cjk_font).get_name()
        assert matplotlib.rcParams["font.sans-serif"][0] == family
        assert _draw(tmp_path) == []
    assert (tmp_path / "figure.png").stat().st_size > 1000


def test_without_a_cjk_font_glyphs_go_missing(tmp_path):
    # what use_cjk_font prevents: DejaVu Sans alone draws boxes and warns per glyph
    with rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        messages = _draw(tmp_path)
    assert any("missing from font" in m and "DejaVu Sans" in m for m in messages)


def test_warns_clearly_when_no_cjk_font_is_installed(monkeypatch):
    monkeypatch.setattr(fonts, "CJK_FONT_FILES", ("/nonexistent/*.ttc",))
    monkeypatch.setattr(fonts, "_pypi_fonts", list)
    with rc_context(), pytest.warns(CircleWarning, match="fonts-wqy-microhei"):
        assert fonts.use_cjk_font() is None
