"""The QGIS GeoPackage (coverage.gpkg): communities, centres, bands and proposals, styled.

Each layer gets a QGIS style in the GeoPackage's ``layer_styles`` table (the table QGIS itself
writes with "Save style → in database"), marked as the default, so QGIS opens every layer in the
colours of the HTML map (`circle.maps.colours`): communities by walk-time band (the uncovered grey,
outlined red), centres by type, the isochrone bands, the proposed sites. Each style is written as
QGIS QML (what QGIS reads) and as SLD (for other tools). The same inputs give the same bytes.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import pandas as pd

from ..coverage.core import CoverageResult
from ..coverage.isochrones import ALL_CENTRES
from ..i18n import N_, translator
from .colours import (
    CENTRE_OUTLINE,
    CENTRE_TYPE_COLOURS,
    COMMUNITY_OUTLINE,
    ISOCHRONE_FILL_OPACITY,
    PROPOSAL_COLOUR,
    PROPOSAL_RING,
    UNCOVERED_FILL,
    UNCOVERED_OUTLINE,
    band_colours,
    rgb,
)

__all__ = [
    "GPKG_FILE",
    "STYLE_TABLE",
    "Rule",
    "geopackage_layers",
    "layer_style",
    "write_geopackage",
]

GPKG_FILE = "coverage.gpkg"
STYLE_TABLE = "layer_styles"
#: the time written into the GeoPackage (contents, styles): fixed, so a rerun gives the same bytes
FIXED_TIME = "2000-01-01T00:00:00.000Z"
_TEXTS = [N_("Style of circle's map")]


class Rule(NamedTuple):
    """A style rule: a QGIS filter expression (``"ELSE"``: all other features) and its symbol."""

    expression: str
    label: str
    fill: str
    outline: str
    width_mm: float
    fill_alpha: float = 1.0


def _rgba(colour: str, alpha: float = 1.0) -> str:
    r, g, b = rgb(colour)
    return f"{r},{g},{b},{round(alpha * 255)}"


def _options(props: dict[str, str]) -> str:
    """Symbol layer properties in both QML forms: ``<Option>`` (QGIS ≥ 3.26) and ``<prop>``."""
    option = "".join(
        f'<Option name="{k}" type="QString" value={quoteattr(v)}/>' for k, v in props.items()
    )
    legacy = "".join(f'<prop k="{k}" v={quoteattr(v)}/>' for k, v in props.items())
    return f'<Option type="Map">{option}</Option>{legacy}'


def _symbol(index: int, rule: Rule, geometry: str) -> str:
    _expr, _label, fill, outline, width, alpha = rule
    props = {
        "color": _rgba(fill, alpha),
        "outline_color": _rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{width:g}",
        "outline_width_unit": "MM",
    }
    if geometry == "fill":
        props["style"] = "solid"
        cls = "SimpleFill"
    else:
        star = geometry == "star"
        props |= {"name": "star" if star else "circle", "size": "4" if star else "3",
                  "size_unit": "MM"}
        cls = "SimpleMarker"
    kind = "fill" if geometry == "fill" else "marker"
    return (
        f'<symbol type="{kind}" name="{index}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{cls}" enabled="1" pass="0" locked="0">{_options(props)}</layer></symbol>'
    )


def layer_style(rules: list[Rule], geometry: str) -> str:
    """A QGIS QML document: a rule-based renderer with one symbol per rule.

    Parameters
    ----------
    rules
        The rules, in drawing order; a rule whose expression is ``"ELSE"`` catches the rest.
    geometry
        {"fill", "marker", "star"} The symbol kind (polygons, or points as circles or stars).

    Returns
    -------
    str
    """
    rule_xml = "".join(
        f'<rule key="r{i}" symbol="{i}" filter={quoteattr(r[0])} label={quoteattr(r[1])}/>'
        for i, r in enumerate(rules)
    )
    symbols = "".join(_symbol(i, r, geometry) for i, r in enumerate(rules))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="root">{rule_xml}</rules><symbols>{symbols}</symbols></renderer-v2>'
        "</qgis>\n"
    )


def _sld(name: str, rules: list[Rule], geometry: str) -> str:
    """The same style as OGC SLD 1.1 (colours only; the ELSE rule as an ElseFilter)."""
    parts = []
    for expression, label, fill, outline, width, alpha in rules:
        width_px = f"{width * 3.78:.2f}"
        if geometry == "fill":
            body = (
                f'<se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill">{fill}'
                f'</se:SvgParameter><se:SvgParameter name="fill-opacity">{alpha:g}'
                f'</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name="stroke">{outline}'
                f'</se:SvgParameter><se:SvgParameter name="stroke-width">{width_px}'
                "</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>"
            )
        else:
            mark = "star" if geometry == "star" else "circle"
            body = (
                f"<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>{mark}"
                f'</se:WellKnownName><se:Fill><se:SvgParameter name="fill">{fill}'
                f'</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name="stroke">{outline}'
                "</se:SvgParameter></se:Stroke></se:Mark><se:Size>11</se:Size></se:Graphic>"
                "</se:PointSymbolizer>"
            )
        where = "<se:ElseFilter/>" if expression == "ELSE" else ""
        parts.append(f"<se:Rule><se:Name>{escape(label)}</se:Name>{where}{body}</se:Rule>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<StyledLayerDescriptor version="1.1.0" '
        'xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se">'
        f"<NamedLayer><se:Name>{escape(name)}</se:Name><UserStyle><se:FeatureTypeStyle>"
        f"{''.join(parts)}</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


def _community_rules(bands: list[float], threshold: float, _) -> list[Rule]:
    colours = band_colours(len(bands))
    rules = [
        Rule(
            f'"band_min" = {m:g}',
            _("≤ {minutes:g} min").format(minutes=m),
            c,
            COMMUNITY_OUTLINE,
            0.26,
        )
        for m, c in zip(bands, colours, strict=True)
    ]
    label = _("not covered: over {minutes:g} min or no path").format(minutes=threshold)
    rules.append(Rule("ELSE", label, UNCOVERED_FILL, UNCOVERED_OUTLINE, 0.8))
    return rules


def _centre_rules(types: list[str], _) -> list[Rule]:
    own = [t for t in types if t in CENTRE_TYPE_COLOURS and t != "other"]
    rules = [
        Rule(f"\"type\" = '{t}'", _(t), CENTRE_TYPE_COLOURS[t], CENTRE_OUTLINE, 0.5) for t in own
    ]
    rules.append(Rule("ELSE", _("other"), CENTRE_TYPE_COLOURS["other"], CENTRE_OUTLINE, 0.5))
    return rules


def _band_rules(bands: list[float], _) -> list[Rule]:
    colours = band_colours(len(bands))
    return [
        Rule(
            f'"minutes" = {m:g}',
            _("{minutes:g}-min walk area (isochrone)").format(minutes=m),
            c,
            c,
            0.4,
            ISOCHRONE_FILL_OPACITY,
        )
        for m, c in zip(bands, colours, strict=True)
    ]


def geopackage_layers(
    result: CoverageResult,
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The layers of coverage.gpkg, in WGS84, with the columns of the CSV files.

    Parameters
    ----------
    result
        A coverage result (before the proposals, for a siting run).
    isochrones
        From `circle.coverage.isochrones.walk_isochrones`: the merged bands become ``bands``.
    proposals
        The proposed sites (`SitingResult.proposals`) become ``proposals``.

    Returns
    -------
    dict
        ``communities`` (as coverage.csv), ``centres``, and ``bands`` and ``proposals`` when
        given.
    """
    from ..report.coverage import coverage_table_for_output

    layers = {
        "communities": coverage_table_for_output(result),
        "centres": result.centres.to_crs("EPSG:4326"),
    }
    if isochrones is not None:
        merged = isochrones[isochrones["centre_id"] == ALL_CENTRES]
        layers["bands"] = merged[["minutes", "geometry"]].sort_values("minutes").to_crs("EPSG:4326")
    if proposals is not None:
        layers["proposals"] = proposals.to_crs("EPSG:4326")
    return {k: v.reset_index(drop=True) for k, v in layers.items()}


def _styles(layers: dict[str, gpd.GeoDataFrame], result: CoverageResult, lang: str) -> pd.DataFrame:
    """One row of ``layer_styles`` per layer (QGIS's columns)."""
    _ = translator(lang)
    bands = list(result.config.thresholds_min)
    polygons = not (layers["communities"].geom_type == "Point").all()
    plan = {
        "communities": (
            _community_rules(bands, result.config.threshold_min, _),
            "fill" if polygons else "marker",
        ),
        "centres": (_centre_rules(sorted(set(layers["centres"]["type"].astype(str))), _), "marker"),
        "bands": (_band_rules(bands, _), "fill"),
        "proposals": (
            [Rule("ELSE", _("Proposed sites"), PROPOSAL_COLOUR, PROPOSAL_RING, 0.6)],
            "star",
        ),
    }
    rows = []
    for name in layers:
        rules, geometry = plan[name]
        rows.append(
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": name,
                "f_geometry_column": "geom",
                "styleName": name,
                "styleQML": layer_style(rules, geometry),
                "styleSLD": _sld(name, rules, geometry),
                "useAsDefault": True,
                "description": _("Style of circle's map"),
                "owner": "",
                "ui": "",
                "update_time": datetime.datetime(2000, 1, 1),
            }
        )
    return pd.DataFrame(rows)


def write_geopackage(
    path: str | Path,
    result: CoverageResult,
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    lang: str = "en",
) -> Path:
    """Write coverage.gpkg: the layers of `geopackage_layers` and their QGIS styles.

    Parameters
    ----------
    path
        Target ``.gpkg`` file (replaced if it exists).
    result, isochrones, proposals
        As for `geopackage_layers`.
    lang
        {"en", "zh"} Language of the legend labels in the styles.

    Returns
    -------
    Path
    """
    import pyogrio

    path = Path(path)
    path.unlink(missing_ok=True)
    layers = geopackage_layers(result, isochrones=isochrones, proposals=proposals)
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIME})
    try:
        for name, layer in layers.items():
            layer.to_file(
                path,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type=None if len(layer) else "Point",
            )
        styles = _styles(layers, result, lang)
        pyogrio.write_dataframe(styles, path, layer=STYLE_TABLE, driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
    return path
