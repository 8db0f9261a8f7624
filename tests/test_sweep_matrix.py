"""The scenario matrix (issue 22): mode x season profile x time in one sweep, one table."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from circle.errors import InputDataError
from circle.runs.sweep import read_scenarios

from .conftest import need_dask


def test_matrix_crosses_every_scenario_with_the_axes(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[defaults]\nminutes = [15]\n[[scenario]]\nname = "base"\n'
        '[matrix]\nmode = ["walk", "ebike"]\nprofile = ["default", "winter"]\n'
        'at = ["Mo 05:00", "Mo 10:00"]\n'
    )
    scenarios = {s.name: s for s in read_scenarios(path)}
    assert len(scenarios) == 8
    s = scenarios["base_ebike_winter_Mo0500"]
    assert (s.config.mode, s.profile, s.at) == ("ebike", "winter", ("Mo 05:00",))
    # winter walks at 3.5 of 4 km/h; the e-bike's 20 km/h scaled alike (an assumption)
    assert s.config.walk_speed_kmh == pytest.approx(17.5)
    assert scenarios["base_walk_winter_Mo1000"].config.walk_speed_kmh == 3.5
    assert scenarios["base_walk_default_Mo1000"].config.walk_speed_kmh == 4.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[scenario]]\nname = "x"\nmode = "car"\n', "unknown travel mode 'car'"),
        ('[[scenario]]\nname = "x"\nprofile = "fast"\n', "unknown walking profile 'fast'"),
        ('[[scenario]]\nname = "x"\nat = "5am"\n', "time '5am'"),
        ('[[scenario]]\nname = "x"\n[matrix]\nseason = ["a"]\n', "[matrix]: unknown key(s)"),
    ],
)
def test_bad_axis_values_name_the_scenario(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(InputDataError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        read_scenarios(path)


def test_matrix_sweep_equals_single_runs(cli_runner, bundled, tmp_path, dask_cluster):
    """Each cell of a mode x time matrix writes what `circle coverage --mode M --at T` writes
    for the same centres; comparison.csv holds the whole matrix in one table."""
    need_dask()
    network, centres, communities = bundled
    hours = gpd.read_file(centres)
    hours["opening_hours"] = ["Mo-Fr 04:00-10:00"] + ["Mo-Fr 09:00-17:00"] * (len(hours) - 1)
    hours.to_file(tmp_path / "centres.geojson")
    (tmp_path / "s.toml").write_text(
        '[defaults]\nminutes = [5]\n[[scenario]]\nname = "v"\n'
        '[matrix]\nmode = ["walk", "ebike"]\nat = ["Mo 05:00"]\n'
    )
    common = ["--network", network, "--centres", tmp_path / "centres.geojson",
              "--communities", communities]
    res = cli_runner(["sweep", tmp_path / "s.toml", *common, "--scheduler",
                      dask_cluster.scheduler_address, "--work-dir", tmp_path / "w",
                      "--out", tmp_path / "sweep"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "sweep" / "comparison.csv", keep_default_na=False)
    assert table[["scenario", "mode", "at"]].values.tolist() == [
        ["v_walk_Mo0500", "walk", "Mo 05:00"], ["v_ebike_Mo0500", "ebike", "Mo 05:00"],
    ]
    for mode in ("walk", "ebike"):
        single = tmp_path / mode
        res = cli_runner(["coverage", *common, "-m", "5", "--mode", mode, "--at", "Mo 05:00",
                          "--out", single])
        assert res.exit_code == 0, res.output
        assert (tmp_path / "sweep" / f"v_{mode}_Mo0500.csv").read_bytes() == (
            single / "coverage.csv"
        ).read_bytes()
    walk, ebike = table["communities_covered"].tolist()
    assert ebike > walk  # one open centre: 5 min by e-bike reaches farther
