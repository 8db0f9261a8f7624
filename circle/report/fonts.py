"""Chinese text in matplotlib figures: find an installed CJK font and make matplotlib use it.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: without a CJK font every
character is drawn as an empty box, with only a warning per glyph. `use_cjk_font` registers a CJK
font file directly with matplotlib's font manager, which works even when matplotlib's font cache
predates the font's installation (a stale ``fontlist-*.json``), and warns clearly when there
is none.
"""

from __future__ import annotations

import glob
import importlib.resources
import warnings

from .._extras import require
from ..errors import CircleWarning

__all__ = ["CJK_FONT_FILES", "CJK_FONT_HINT", "figure_font", "find_cjk_font", "use_cjk_font"]

#: font files looked for, in order (Debian/Ubuntu packages, then common Linux, macOS, Windows paths)
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei (scripts/install-...)
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/*/*/NotoSansSC*.otf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
CJK_FONT_HINT = (
    "no Chinese (CJK) font found: Chinese text in figures would show as empty boxes. Install "
    "one: `apt-get install fonts-wqy-microhei` (Debian/Ubuntu) or `pip install "
    "pylopdf-fonts-zh-cn`, then call circle.use_cjk_font() again"
)


def _pypi_fonts() -> list[str]:
    try:
        root = importlib.resources.files("pylopdf_fonts_zh_cn")
    except ModuleNotFoundError:
        return []
    return [str(root / "NotoSansSC-Regular.otf")]


def find_cjk_font() -> str | None:
    """The path of the first installed CJK font file of `CJK_FONT_FILES` (or PyPI's), or None."""
    for pattern in (*CJK_FONT_FILES, *_pypi_fonts()):
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    return None


def use_cjk_font(path: str | None = None) -> str | None:
    """Make matplotlib draw Chinese text: register a CJK font and put it first in sans-serif.

    Parameters
    ----------
    path
        A font file (.ttf, .otf, .ttc) to use; default: `find_cjk_font`.

    Returns
    -------
    str or None
        The font's family name (e.g. ``"WenQuanYi Micro Hei"``), or None when no CJK font was
        found; a `CircleWarning` then says how to install one.
    """
    require("matplotlib", "plot", "figures (use_cjk_font)")
    from matplotlib import font_manager, rcParams

    path = path or find_cjk_font()
    if path is None:
        warnings.warn(CJK_FONT_HINT, CircleWarning, stacklevel=2)
        return None
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [
        family,
        *[f for f in rcParams["font.sans-serif"] if f != family],
    ]
    rcParams["axes.unicode_minus"] = False  # CJK fonts often lack the Unicode minus sign
    return family


def figure_font(lang: str) -> None:
    """The font of circle's own figures, whatever was drawn before in the process: a CJK font
    first for every language (Chinese names appear in English figures too), warning when there
    is none only under ``zh``. The same figure then gives the same bytes in any order of runs."""
    if lang == "zh":
        use_cjk_font()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        use_cjk_font()
