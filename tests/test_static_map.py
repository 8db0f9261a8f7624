"""map.png (issue 19): the static picture of the HTML map, in its colours, English and Chinese."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from circle.maps.colours import CENTRE_TYPE_COLOURS, UNCOVERED_OUTLINE, band_colours, rgb
from circle.maps.static import static_map_png, write_static_map
from tests.reports_fixtures import make_runs


@pytest.fixture(scope="module")
def runs(shenyang, tmp_path_factory):
    return make_runs(shenyang, tmp_path_factory.mktemp("runs"))


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)


def _has_colour(pixels: np.ndarray, colour: str, tolerance: int = 6) -> bool:
    return bool((np.abs(pixels - np.array(rgb(colour))).max(axis=1) <= tolerance).any())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_picture_in_the_maps_colours(runs, lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Chinese glyph warns: fail on it
        png = static_map_png(
            runs.coverage,
            isochrones=runs.isochrones,
            network=runs.network,
            proposals=runs.siting.proposals,
            lang=lang,
            dpi=80,
        )
    assert png.startswith(b"\x89PNG")
    pixels = _pixels(png)
    covered_bands = sorted(set(runs.coverage.table.loc[runs.coverage.table["covered"], "band_min"]))
    colours = band_colours(len(runs.coverage.config.thresholds_min))
    for minutes in covered_bands:
        band = list(runs.coverage.config.thresholds_min).index(minutes)
        assert _has_colour(pixels, colours[band]), f"band {minutes:g} min not drawn"
    assert _has_colour(pixels, UNCOVERED_OUTLINE)
    assert _has_colour(pixels, CENTRE_TYPE_COLOURS["community"])


def test_same_inputs_same_picture(runs, tmp_path):
    a = write_static_map(runs.coverage, tmp_path / "a.png", lang="zh", dpi=60).read_bytes()
    b = write_static_map(runs.coverage, tmp_path / "b.png", lang="zh", dpi=60).read_bytes()
    assert a == b
