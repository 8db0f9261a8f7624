"""Every GeoJSON file the commands write follows RFC 7946 (issue 25): WGS84 longitude/latitude,
no ``crs`` member, counter-clockwise outer rings and clockwise holes (section 3.1.6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from circle.cli import cli


def _signed_area(ring: list) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:], strict=False)) / 2


def _polygons(geometry: dict) -> list:
    if geometry is None:
        return []
    kind = geometry["type"]
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    if kind == "GeometryCollection":
        return [p for g in geometry["geometries"] for p in _polygons(g)]
    return []


def _positions(coords):
    if coords and isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _positions(c)


def rfc7946_problems(path: Path) -> list[str]:
    """What breaks RFC 7946 in one GeoJSON file (empty: nothing)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    if "crs" in doc:
        problems.append("has a crs member")
    for i, feature in enumerate(doc.get("features", [])):
        geometry = feature.get("geometry")
        if geometry is None:
            continue
        coords = geometry.get("coordinates", [])
        for x, y, *_ in _positions(coords):
            if not (-180 <= x <= 180 and -90 <= y <= 90):
                problems.append(f"feature {i}: ({x}, {y}) is not longitude/latitude")
                break
        for polygon in _polygons(geometry):
            if _signed_area(polygon[0]) <= 0:
                problems.append(f"feature {i}: clockwise outer ring")
            if any(_signed_area(hole) >= 0 for hole in polygon[1:]):
                problems.append(f"feature {i}: counter-clockwise hole")
    return problems


def test_the_check_sees_a_clockwise_ring_and_a_crs(tmp_path):
    bad = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}}],
    }
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad))
    assert rfc7946_problems(path) == ["has a crs member", "feature 0: clockwise outer ring"]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    """Run every command that writes GeoJSON on the bundled data."""
    out = tmp_path_factory.mktemp("rfc")
    runs = [
        ["coverage", "--out", str(out / "cov")],
        ["coverage", "-m", "5", "-m", "10", "--out", str(out / "cov2")],
        ["site", "--add", "2", "--out", str(out / "site")],
        ["isochrones", "--out", str(out / "iso.geojson")],
    ]
    for args in runs:
        result = CliRunner().invoke(cli, ["-q", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    files = sorted(out.rglob("*.geojson"))
    assert {f.name for f in files} >= {"coverage.geojson", "proposals.geojson", "iso.geojson"}
    return files


def test_every_geojson_the_commands_write_is_rfc7946(written):
    problems = {f.name: rfc7946_problems(f) for f in written}
    assert all(p == [] for p in problems.values()), problems


def test_isochrone_polygons_are_counter_clockwise(written):
    iso = next(f for f in written if f.name == "iso.geojson")
    doc = json.loads(iso.read_text(encoding="utf-8"))
    rings = [p[0] for feat in doc["features"] for p in _polygons(feat["geometry"])]
    assert rings and all(_signed_area(r) > 0 for r in rings)
