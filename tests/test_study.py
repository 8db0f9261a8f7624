"""The analyst's API (circle.study): hand-computed small cases, and the CLI's own files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pytest
import shapely

from circle import CircleConfig, ConfigError, Coverage, Siting, StudyArea
from circle.maps.coverage_map import UNCOVERED_OUTLINE, map_html

from .conftest import points

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def street(line_network):
    """Generated: the four-block street, one centre at x = 0, communities at 100, 300, 400 m."""
    centres = points([("c1", 0.0, 0.0, "<b>Centre</b>")], columns=("id", "x", "y", "name"))
    communities = points(
        [
            ("a", 100.0, 0.0, "near", 10.0),
            ("b", 300.0, 0.0, "mid", 20.0),
            ("z", 400.0, 0.0, "<img src=x onerror=alert(1)>", 30.0),
        ],
        columns=("id", "x", "y", "name", "population"),
    )
    return StudyArea(line_network, centres, communities)


@pytest.fixture(scope="module")
def helsinki():
    return StudyArea.bundled()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_coverage_on_a_generated_street(street):
    # 4 km/h: 5 min = 333.3 m, 10 min = 666.7 m; walks are 100, 300, 400 m along the street
    cov = street.coverage(thresholds_min=(5, 10))
    assert isinstance(cov, Coverage)
    assert isinstance(cov.table, gpd.GeoDataFrame)
    assert cov.table["walk_m"].to_numpy() == pytest.approx([100.0, 300.0, 400.0])
    assert cov.share_covered(5) == pytest.approx(30 / 60, abs=1e-4)
    assert cov.share_covered(10) == pytest.approx(1.0)
    assert cov.share_covered(5, by="communities") == pytest.approx(2 / 3, abs=1e-4)
    assert list(street.coverage(thresholds_min=(5,)).uncovered["community_id"]) == ["z"]
    with pytest.raises(ConfigError, match="one of the bands"):
        cov.share_covered(7)


@pytest.mark.parametrize(
    ("speed", "share"),
    # the 5-minute reach is speed * 5 / 60 km: 250 m, 333 m, 417 m
    [(3.0, 10 / 60), (4.0, 30 / 60), (5.0, 1.0)],
)
def test_share_against_speed_by_hand(street, speed, share):
    cov = street.coverage(walk_speed_kmh=speed, thresholds_min=(5,))
    assert cov.share_covered() == pytest.approx(share, abs=1e-4)


def test_repr_html_escapes_and_shows_the_figures(street):
    text = street.coverage(thresholds_min=(5,))._repr_html_()
    assert "<table>" in text
    assert "1 (33.3 %)" not in text  # 2 of 3 communities are within 5 min
    assert "2 (66.7 %)" in text and "30 (50.0 %)" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<img" not in text
    assert repr(street.coverage(thresholds_min=(5,))).startswith("<Coverage: 2 of 3 communities")


def test_plot_draws_bands_uncovered_and_centres(street):
    ax = street.coverage(thresholds_min=(5,)).plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["within 5 min", "not within 5 min", "centre"]
    # the centre is drawn where it is
    offsets = [c.get_offsets() for c in ax.collections if c.get_label() == "centre"]
    assert np.asarray(offsets[0]) == pytest.approx(np.array([[500_000.0, 4_600_000.0]]))
    # the uncovered community (z) is outlined red
    edge = [
        matplotlib.colors.to_hex(c.get_edgecolor()[0])
        for c in ax.collections[1:]
        if len(c.get_offsets()) == 1 and c.get_label() != "centre"
    ]
    assert UNCOVERED_OUTLINE in edge


def test_bundled_matches_the_cli_files(helsinki, tmp_path):
    cli_out = tmp_path / "cli"
    subprocess.run(
        [sys.executable, "-m", "circle", "-q", "coverage", "--map", "--out", str(cli_out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    written = helsinki.coverage().to_files(tmp_path / "api", map=True)
    assert [p.name for p in written] == [
        "coverage.csv",
        "coverage.geojson",
        "summary.md",
        "summary.json",
        "report.xlsx",  # the bureau's files (issue 19), byte-identical to the CLI's too
        "report.pdf",
        "coverage.gpkg",
        "map.html",
    ]
    for p in written:
        assert p.read_bytes() == (cli_out / p.name).read_bytes(), p.name


def test_sensitivity_is_monotone_on_bundled_data(helsinki):
    speeds = [3.0, 3.5, 4.0, 4.5, 5.0]
    bands = (5.0, 10.0, 15.0, 20.0)
    shares = np.array(
        [
            [
                helsinki.coverage(walk_speed_kmh=s, thresholds_min=bands).share_covered(t)
                for t in bands
            ]
            for s in speeds
        ]
    )
    assert (np.diff(shares, axis=0) >= 0).all()  # faster walkers reach at least as many
    assert (np.diff(shares, axis=1) >= 0).all()  # and so does a longer threshold
    assert shares[0, 0] < shares[-1, -1]  # not flat: the parameters matter
    # the default run agrees with the 15-minute column at 4 km/h
    assert helsinki.coverage().share_covered() == shares[2, 2]


def test_coverage_map_is_the_offline_cli_map(helsinki):
    m = helsinki.coverage().map()
    assert isinstance(m, folium.Map)
    text = map_html(m)
    assert "-min walk area (isochrone)" in text
    assert "cdn.jsdelivr" not in text and "unpkg.com" not in text


def test_siting_on_a_generated_street(line_network):
    # 5 minutes at 4 km/h = 333.3 m: the community at 300 m is covered, the one at 400 m not;
    # candidate s1 stands on it, s2 (at 50 m) is 350 m from it: too far
    centres = points([("c1", 0.0, 0.0)])
    communities = points(
        [("a", 300.0, 0.0, 10.0), ("b", 400.0, 0.0, 50.0)], columns=("id", "x", "y", "population")
    )
    candidates = points(
        [("s1", 400.0, 0.0, "<script>x</script>"), ("s2", 50.0, 0.0, "far")],
        columns=("id", "x", "y", "name"),
    )
    study = StudyArea(line_network, centres, communities)
    sites = study.site(add=1, candidates=candidates, thresholds_min=(5,))
    assert isinstance(sites, Siting)
    assert list(sites.proposals["site_id"]) == ["s1"]
    assert sites.summary["gain"] == {"communities": 1, "population": 50.0}
    # "after" is a fresh coverage run with the proposal among the centres
    after = sites.after
    assert after.share_covered() == pytest.approx(1.0)
    assert list(after.table["nearest_centre_id"]) == ["s1", "s1"]  # s1 is nearer to both
    assert after.table["walk_m"].to_numpy() == pytest.approx([100.0, 0.0])
    text = sites._repr_html_()
    assert "+50" in text and "&lt;script&gt;" in text and "<script>" not in text
    html = map_html(sites.map())
    assert "Proposed sites (1)" in html
    assert "<script>x</script>" not in html
    assert map_html(sites.map()) == html  # the same inputs give the same file
    ax = sites.plot()
    assert "proposed site" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ConfigError, match="OSM file"):
        study.candidates()


def test_bundled_siting_matches_the_cli_files(helsinki, tmp_path):
    cli_out = tmp_path / "cli"
    subprocess.run(
        [sys.executable, "-m", "circle", "-q", "site", "--add", "2", "--out", str(cli_out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    written = helsinki.site(add=2).to_files(tmp_path / "api")
    assert len(written) == 7  # + report.xlsx, report.pdf, coverage.gpkg (issue 19)
    for p in written:
        assert p.read_bytes() == (cli_out / p.name).read_bytes(), p.name


def test_from_files_reads_like_the_cli(helsinki, bundled):
    network, centres, communities = bundled
    study = StudyArea.from_files(network, centres, communities, min_component_m=250.0)
    assert study.network.source == helsinki.network.source
    assert list(study.centres["id"]) == list(helsinki.centres["id"])
    n_centres, n_communities = len(gpd.read_file(centres)), len(gpd.read_file(communities))
    assert repr(study) == (
        f"<StudyArea from {Path(network).name}: {len(study.network.node_ids):,} street nodes, "
        f"{n_centres} centres, {n_communities} communities>"
    )
    with pytest.raises(ConfigError, match="walk_speed_kmh"):
        study.coverage(walk_speed_kmh=0)
    cfg = CircleConfig(thresholds_min=(10,))
    assert study.coverage(cfg).summary == helsinki.coverage(thresholds_min=(10,)).summary


# ---- the notebook API reaches what the CLI reaches, through the same runs/ functions -----------


def _cli_files(cli_runner, out, *args):
    res = cli_runner(["-q", "coverage", *args, "--out", out], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out


def test_groups_profiles_and_rollup_by_column_as_the_cli(
    cli_runner, tmp_path, communities_with_groups, bundled
):
    """--profile, --profiles, --group-columns and --by give the same files from both."""
    network, centres, _ = bundled
    cli = _cli_files(
        cli_runner, tmp_path / "cli", "--communities", communities_with_groups,
        "--profile", "elderly", "--profiles", "default,winter",
        "--group-columns", "graduates,veterans", "--by", "buildings",
    )
    study = StudyArea.from_files(network, communities=communities_with_groups, by="buildings")
    cov = study.coverage(
        profile="elderly", profiles="default,winter", groups=("graduates", "veterans")
    )
    assert cov.areas is not None and len(cov.areas)
    written = cov.to_files(tmp_path / "api")
    names = {p.name for p in written}
    assert {"coverage.csv", "areas.csv", "profiles.csv", "summary.json"} <= names
    for name in names:
        assert (tmp_path / "api" / name).read_bytes() == (cli / name).read_bytes(), name


def test_gates_population_and_areas_as_the_cli(cli_runner, tmp_path, bundled):
    """Derived communities with the network's OSM gates, a population estimate from OSM
    buildings and a roll-up by area polygons: the same files from both."""
    network, centres, communities = bundled
    copy = tmp_path / "district.osm.pbf"  # not the bundled network: layers come from its tags
    copy.write_bytes(Path(network).read_bytes())
    areas = tmp_path / "areas.geojson"  # the district cut in a west and an east half
    blocks = gpd.read_file(communities).to_crs(3067).union_all()
    west, south, east, north = blocks.envelope.buffer(2000).bounds
    xmid = blocks.centroid.x
    halves = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[shapely.box(west, south, xmid, north), shapely.box(xmid, south, east, north)],
        crs=3067,
    )
    halves.to_crs(4326).to_file(areas)
    args = ["--network", copy, "--gates", "osm", "--population-from-osm", "--areas", areas]
    cli = _cli_files(cli_runner, tmp_path / "cli", *args, "-m", "10")
    study = StudyArea.from_files(copy, gates="osm", population_from_osm=True, areas=areas)
    assert study.gates is not None and "gates" in repr(study)
    written = study.coverage(thresholds_min=(10.0,)).to_files(tmp_path / "api")
    assert "areas.csv" in {p.name for p in written}
    for p in written:
        assert p.read_bytes() == (cli / p.name).read_bytes(), p.name
