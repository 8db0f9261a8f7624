"""Villages and hours (issue 22): opening hours, the station inside a village, a travel mode
per community; hand-built networks whose answers are known by hand."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pytest
import shapely

from circle.config import CircleConfig
from circle.coverage.core import coverage_report, summarise
from circle.coverage.hours import HoursOptions, centre_hours, open_mask, parse_at
from circle.coverage.rural import coverage_by_mode, with_rural_columns
from circle.errors import ConfigError, InputDataError
from circle.runs.job import compute_coverage

from .conftest import X0, Y0, make_network, points

#: OSM wiki examples (https://wiki.openstreetmap.org/wiki/Key:opening_hours) with whether each is
#: open on Monday 9 March 2026 at 10:00 and at 01:00, read by hand from the rule
WIKI = [
    ("Mo-Fr 08:00-17:00; Sa 09:00-12:00; PH off", True, False),
    ("24/7", True, True),
    ("Mo-Sa 10:00-20:00; Su off", True, False),
    ("Mo-Fr 08:30-12:00,13:30-17:00", True, False),
    ("Mo,We,Fr 09:00-12:00", True, False),
    ("Mo-Su 22:00-02:00", False, True),  # past midnight: Sunday's evening runs into Monday
    ('Mo-Fr 05:00-09:00 open "labour market"', False, False),
    ("Mo-Fr 08:00-18:00; PH closed", True, False),
    ("Tu-Su 10:00-18:00", False, False),
    ("Mo-Fr 09:00-17:00; Jul-Aug Mo-Fr 09:00-13:00", True, False),
    ("Mo-Fr 10:00+", True, False),
    ("off", False, False),
]


@pytest.mark.parametrize(("value", "at_10", "at_1"), WIKI)
def test_parser_reads_the_osm_wiki_examples(value, at_10, at_1):
    import geopandas as gpd

    centres = gpd.GeoDataFrame({"id": ["a"], "opening_hours": [value]})
    parsed = centre_hours(centres, HoursOptions())
    assert parsed.unparsed == []
    assert open_mask(parsed, ["Mo 10:00"]).tolist() == [at_10]
    assert open_mask(parsed, ["Mo 01:00"]).tolist() == [at_1]


def test_public_holidays_come_from_the_country_calendar():
    """1 October (National Day) is a public holiday in China: 'PH off' closes a Thursday
    that is otherwise open; the weekday form never falls on a holiday."""
    import geopandas as gpd

    centres = gpd.GeoDataFrame({"id": ["a"], "opening_hours": ["Mo-Fr 08:00-17:00; PH off"]})
    parsed = centre_hours(centres, HoursOptions(country="CN"))
    assert open_mask(parsed, ["2026-10-01 09:00"]).tolist() == [False]
    assert open_mask(parsed, ["2026-10-08 09:00"]).tolist() == [True]
    assert open_mask(parsed, ["Th 09:00"]).tolist() == [True]


def test_times_are_weekday_or_date():
    assert parse_at("Mo 05:00") == dt.datetime(2026, 3, 9, 5, 0)
    assert parse_at("Su 23:30") == dt.datetime(2026, 3, 15, 23, 30)
    assert parse_at("2026-10-01 09:00") == dt.datetime(2026, 10, 1, 9, 0)
    for bad in ("Monday 5", "Mo 25:00", "5am"):
        with pytest.raises(ConfigError, match="weekday and time"):
            parse_at(bad)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_unparseable_value_is_a_warning_naming_the_row():
    import geopandas as gpd

    centres = gpd.GeoDataFrame({"id": ["a", "b", "c"], "opening_hours": ["24/7", "ask", None]})
    centres.attrs["source"] = "centres.csv"
    # a handler on the module's own logger: the CLI tests reconfigure circle's logging
    records = _Records()
    logger = logging.getLogger("circle.coverage.hours")
    logger.addHandler(records)
    try:
        parsed = centre_hours(centres, HoursOptions())
    finally:
        logger.removeHandler(records)
    assert parsed.unparsed == [("b", "ask")]
    assert any(
        "centres.csv: centre b: opening_hours 'ask' cannot be parsed" in m
        for m in records.messages
    )
    assert open_mask(parsed, ["Mo 10:00"]).tolist() == [True, False, True]  # blank: open
    lenient = centre_hours(centres, HoursOptions(unparsed_open=True))
    assert open_mask(lenient, ["Mo 10:00"]).tolist() == [True, True, True]


@pytest.fixture
def street():
    """Generated: a straight street of eight 100 m blocks, x = 0 .. 800 m."""
    return make_network({i: (100.0 * i, 0.0) for i in range(9)}, [(i, i + 1) for i in range(8)])


def _layers():
    """Centre A at x=0 open 09:00-17:00 on weekdays, centre B at x=800 open from 04:00 to 10:00
    (a labour market); communities at x = 100, 400, 700 with 10, 20, 30 people."""
    centres = points(
        [("A", 0, 0, "Mo-Fr 09:00-17:00"), ("B", 800, 0, "Mo-Sa 04:00-10:00")],
        columns=("id", "x", "y", "opening_hours"),
    )
    communities = points(
        [("c1", 100, 0, 10), ("c2", 400, 0, 20), ("c3", 700, 0, 30)],
        columns=("id", "x", "y", "population"),
    )
    return centres, communities


def test_a_centre_closed_at_the_time_is_ignored(street):
    """At Mo 05:00 only B is open: coverage equals a run without A. At 15:00 only A."""
    centres, communities = _layers()
    config = CircleConfig(thresholds_min=(5.0,))  # 333 m on foot
    early, _ = compute_coverage(
        communities, centres, street, config=config, hours=HoursOptions(at=("Mo 05:00",))
    )
    without_a = coverage_report(communities, centres.iloc[[1]], street, config=config)
    cols = ["community_id", "walk_m", "covered", "nearest_centre_id"]
    assert early.table[cols].equals(without_a.table[cols])
    assert early.table["covered"].tolist() == [False, False, True]
    late, _ = compute_coverage(
        communities, centres, street, config=config, hours=HoursOptions(at=("Mo 15:00",))
    )
    assert late.table["covered"].tolist() == [True, False, False]
    with pytest.raises(ConfigError, match="no centre is open at Su 03:00"):
        compute_coverage(
            communities, centres, street, config=config, hours=HoursOptions(at=("Su 03:00",))
        )


def test_coverage_by_hour_table(street):
    """Hour by hour on a Monday 04:00-18:00: B alone 4-8, both 9, A alone 10-16, none 17-18."""
    centres, communities = _layers()
    config = CircleConfig(thresholds_min=(5.0,))
    result, _ = compute_coverage(
        communities, centres, street, config=config,
        hours=HoursOptions(day="Mo", first_hour=4, last_hour=18),
    )
    rows = {r["time"]: r for r in summarise(result)["opening_hours"]["by_time"]}
    assert len(rows) == 15
    assert [rows[f"Mo {h:02d}:00"]["centres_open"] for h in (4, 9, 10, 17)] == [1, 2, 1, 0]
    assert rows["Mo 05:00"]["population_covered"] == 30.0
    assert rows["Mo 09:00"]["population_covered"] == 40.0
    assert rows["Mo 12:00"]["population_covered"] == 10.0
    assert rows["Mo 18:00"]["communities_covered"] == 0
    assert rows["Mo 09:00"]["population_share"] == pytest.approx(40 / 60, abs=1e-4)


def test_station_inside_a_village_polygon(street):
    """Village v1 (a square around x=0) contains centre A; v2 contains none; a point community
    has no area and is not counted."""
    import geopandas as gpd

    centres, _ = _layers()
    box1 = shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 50)
    box2 = shapely.box(X0 + 350, Y0 - 50, X0 + 450, Y0 + 50)
    villages = gpd.GeoDataFrame(
        {"id": ["v1", "v2"], "population": [5, 7]}, geometry=[box1, box2], crs=centres.crs
    )
    result = with_rural_columns(coverage_report(villages, centres, street))
    assert result.table["station_inside"].tolist() == [True, False]
    section = summarise(result)["station_inside"]
    assert section == {
        "communities_with_area": 2, "with_station_inside": 1, "community_ids": ["v1"]
    }
    dots = with_rural_columns(coverage_report(_layers()[1], centres, street))
    assert "station_inside" not in dots.table.columns


def test_each_community_travels_by_its_own_mode(street):
    """c3 (700 m from A, 100 m from B) names ebike, the others walk: with only A, the walkers
    are covered within 5 min (333 m) only at 100 m; the e-biker covers 700 m in 2.1 min."""
    centres, communities = _layers()
    communities["mode"] = ["walk", "", "ebike"]
    config = CircleConfig(thresholds_min=(5.0,))
    result = coverage_by_mode(
        communities, centres.iloc[[0]], lambda mode: street, config=config, column="mode",
        coverage=coverage_report,
    )
    t = result.table
    assert t["community_id"].tolist() == ["c1", "c2", "c3"]
    assert t["mode"].tolist() == ["walk", "walk", "ebike"]
    assert t["covered"].tolist() == [True, False, True]
    assert t["walk_min"].iloc[2] == pytest.approx(700 / (20 / 3.6) / 60)
    rows = {r["mode"]: r for r in summarise(result)["by_mode"]}
    assert rows["walk"]["communities"] == 2 and rows["walk"]["communities_covered"] == 1
    assert rows["ebike"]["population_share"] == 1.0
    communities["mode"] = ["walk", "car", ""]
    with pytest.raises(InputDataError, match="community c2: mode 'car' is not a travel mode"):
        coverage_by_mode(
            communities, centres, lambda mode: street, config=config, column="mode",
            coverage=coverage_report,
        )


def test_within_km_equals_the_equivalent_speed_and_threshold(street):
    """--within-km 0.6 by bike (15 km/h) is the run at 15 km/h with a 2.4-minute circle."""
    centres, communities = _layers()
    rule = coverage_report(
        communities, centres.iloc[[0]], street,
        config=CircleConfig(mode="bike", walk_speed_kmh=15.0, within_km=0.6),
    )
    same = coverage_report(
        communities, centres.iloc[[0]], street,
        config=CircleConfig(walk_speed_kmh=15.0, thresholds_min=(2.4,)),
    )
    cols = ["walk_m", "walk_min", "covered", "band_min"]
    np.testing.assert_allclose(rule.table[cols[:2]], same.table[cols[:2]])
    assert rule.table["covered"].tolist() == same.table["covered"].tolist() == [True, True, False]


def test_rerun_reproduces_a_village_run(cli_runner, bundled, tmp_path):
    """A run with a mode column, --mode, --within-km, --at and an hours table: its manifest
    passes the schema and `circle rerun` writes the same bytes."""
    import json

    import geopandas as gpd

    network, centres, communities = bundled
    cent = gpd.read_file(centres)
    cent["opening_hours"] = ["Mo-Fr 04:00-10:00", "Mo-Fr 09:00-17:00", "ask", ""]
    cent.to_file(tmp_path / "c.geojson")
    comm = gpd.read_file(communities)
    comm["how"] = ["ebike" if i % 2 else "" for i in range(len(comm))]
    comm.to_file(tmp_path / "v.geojson")
    first = tmp_path / "first"
    res = cli_runner(["coverage", "--network", network, "--centres", tmp_path / "c.geojson",
                      "--communities", tmp_path / "v.geojson", "--mode-column", "how",
                      "--mode", "bike", "--within-km", "2", "--at", "Mo 05:00",
                      "--hours-day", "Mo", "--hours-range", "4-6", "--out", first])
    assert res.exit_code == 0, res.output
    assert "centre " in res.stderr and "'ask' cannot be parsed" in res.stderr
    summary = json.loads((first / "summary.json").read_text())
    assert summary["parameters"]["mode"] == "bike" and summary["parameters"]["within_km"] == 2
    assert [r["time"] for r in summary["opening_hours"]["by_time"]] == [
        "Mo 05:00", "Mo 04:00", "Mo 05:00", "Mo 06:00"
    ]
    assert {r["mode"] for r in summary["by_mode"]} == {"bike", "ebike"}
    again = tmp_path / "again"
    res = cli_runner(["rerun", first / "manifest.json", "--out", again])
    assert res.exit_code == 0, res.output
    for name in json.loads((first / "manifest.json").read_text())["outputs"]:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
