"""The files a Liaoning human-resources and social-security bureau hands over, end to end.

GCJ-02 is the identity outside China, so (as in tests/test_datum_inputs.py) the walks run on the
GENERATED street grid placed in Shenyang (`tests.conftest.shenyang_grid`), not on the bundled
Helsinki data, where a GCJ-02 file would prove nothing. The stations and the roster are
GENERATED points on that grid (tests/bureau_example.py, which also writes examples/bureau/, the
README's example), written the way a bureau keeps them: a GB18030 CSV of stations
headed 编号/名称/类型/经度/纬度 with Chinese type values, and an .xlsx community roster with a
merged title row, Chinese headers and empty trailing rows, both in GCJ-02 (AMap) coordinates.
"""

from __future__ import annotations

import re
import shlex
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from circle import read_layer
from circle.errors import CircleWarning, InputDataError
from circle.io.columns import LayerColumns
from circle.report.csvfiles import read_result_csv

from .bureau_example import STATIONS, workbook_cells, write_bureau_example

ROOT = Path(__file__).resolve().parents[1]
#: the README's example files, committed
EXAMPLE = ROOT / "examples" / "bureau"


@pytest.fixture(scope="module")
def bureau_files(tmp_path_factory):
    """(network, English WGS84 centres and communities, the bureau's GCJ-02 CSV and XLSX), as
    `write_bureau_example` writes them (the builder of examples/bureau/)."""
    return write_bureau_example(tmp_path_factory.mktemp("bureau"), english=True)


def test_the_committed_example_is_what_the_builder_writes(bureau_files):
    """examples/bureau/ (the README's example) equals the builder's files: the CSV and the
    street grid byte for byte, the workbook cell for cell (its bytes hold zip times).
    Regenerate with ``python scripts/make_bureau_example.py``."""
    for role in ("network", "stations"):
        committed = EXAMPLE / bureau_files[role].name
        assert committed.read_bytes() == bureau_files[role].read_bytes(), committed
    committed = EXAMPLE / bureau_files["roster"].name
    assert workbook_cells(committed) == workbook_cells(bureau_files["roster"])
    assert workbook_cells(committed)[0][1][0][0].startswith("沈阳市示例区")  # the title row


def test_the_bureau_files_give_the_same_walks_as_english_wgs84_layers(
    bureau_files, cli_runner, tmp_path
):
    """Acceptance (issue 18): no column flags, --datum gcj02 --lang zh; walks within 0.5 m of
    the English WGS84 run, every station type recognised, every CSV with a UTF-8 BOM."""
    f = bureau_files
    out = tmp_path / "报告"
    res = cli_runner(
        ["coverage", "--network", f["network"], "--centres", f["stations"],
         "--communities", f["roster"], "--datum", "gcj02", "--lang", "zh", "-m", "5", "--out", out],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert "counted as other" not in res.output  # every station type recognised
    english = cli_runner(
        ["coverage", "--network", f["network"], "--centres", f["centres"],
         "--communities", f["communities"], "-m", "5", "--out", tmp_path / "en"],
        catch_exceptions=False,
    )
    assert english.exit_code == 0, english.output
    zh = read_result_csv(out / "coverage.csv").set_index("community_id")
    en = read_result_csv(tmp_path / "en" / "coverage.csv").set_index("community_id")
    assert sorted(zh.index) == sorted(en.index) and len(en) == 30
    zh = zh.loc[en.index]
    walk_zh, walk_en = zh["walk_m"].astype(float), en["walk_m"].astype(float)
    assert (en["covered"] == "True").any() and (en["covered"] == "False").any()
    np.testing.assert_allclose(walk_zh, walk_en, atol=0.5, rtol=0)
    for col in ("nearest_centre_id", "nearest_centre_name", "nearest_centre_type", "name",
                "population", "covered", "status"):
        assert zh[col].tolist() == en[col].tolist(), col
    assert set(en["nearest_centre_type"]) >= {"community", "village", "industrial_park"}
    csvs = sorted(out.glob("*.csv"))
    assert csvs and all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in csvs)


def _readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## 给人社局", 1)[1].split("\n## ", 1)[0]


def test_the_readme_command_runs_on_the_committed_example(cli_runner, tmp_path, monkeypatch):
    """Acceptance (issue 18): the README's section for the bureau runs exactly as written, on
    examples/bureau/, with no column flags; it prints what the README shows and writes the files
    it lists (every CSV with a UTF-8 BOM); the error it quotes for an unrecognised column is the
    real one, and the option it names fixes it."""
    section = _readme_section()
    zh, en = section.split("\n### English\n", 1)
    assert re.match(r"[^\n]*\n+### 中文\n", zh)  # Chinese first, then the same in English
    commands = re.findall(r"^circle coverage .*$", section, re.M)
    assert len(commands) == 2 and commands[0] == commands[1] and commands[0] in en
    args = shlex.split(commands[0])
    assert args[:2] == ["circle", "coverage"]
    assert not any(a.endswith("-column") for a in args)
    blocks = re.findall(r"```[a-z]*\n(.*?)```", zh, re.S)
    printed = next(b for b in blocks if b.startswith("15分钟就业服务圈"))
    listed = next(b for b in blocks if b.startswith("coverage.csv "))
    error = next(b for b in blocks if b.startswith("Error: ")).strip()
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "bureau")
    monkeypatch.chdir(tmp_path)
    res = cli_runner(args[1:], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines() == printed.strip().splitlines()
    assert "站点.csv: not UTF-8; read as GB18030" in res.stderr
    assert "counted as other" not in res.output  # every station type recognised
    out = tmp_path / args[args.index("--out") + 1]
    assert sorted(p.name for p in out.iterdir()) == listed.split()
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in out.glob("*.csv"))
    # the station list of the README's error: its id column headed 站点代号
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    stations = pd.read_csv(EXAMPLE / "站点.csv", encoding="gb18030", dtype=str)
    stations.columns = ["站点代号", *stations.columns[1:]]
    stations.to_csv(renamed / "站点.csv", index=False, encoding="gb18030")
    args[args.index("--centres") + 1] = str(renamed / "站点.csv")
    res = cli_runner([*args[1:], "--overwrite"], catch_exceptions=False)
    assert res.exit_code == 1
    assert error.replace("…", str(renamed)) in res.stderr.splitlines()
    flag = re.search(r"加上 `(--centres-id-column 站点代号)`", zh).group(1)
    res = cli_runner([*args[1:], "--overwrite", *flag.split()], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines() == printed.strip().splitlines()


def test_bureau_layers_read_with_their_columns_and_types(bureau_files):
    """The columns are found from the Chinese headers, ids stay text, the title row and the
    empty trailing rows are skipped, and each Chinese type is one of the six."""
    f = bureau_files
    with warnings.catch_warnings():
        warnings.simplefilter("error", CircleWarning)
        warnings.filterwarnings("ignore", ".*not UTF-8; read as GB18030", CircleWarning)
        stations = read_layer(f["stations"], kind="centres", datum="gcj02")
        roster = read_layer(f["roster"], kind="communities", datum="gcj02")
    assert stations["id"].tolist() == [s[0] for s in STATIONS]
    assert stations["name"].tolist() == [s[1] for s in STATIONS]
    from circle._validate import validate_layer

    checked, _ = validate_layer(stations, kind="centres", source="stations")
    assert checked["type"].tolist() == [s[3] for s in STATIONS]
    assert len(roster) == 30 and roster["id"].str.startswith("b").all()
    assert {"id", "name", "population"} <= set(roster.columns)
    assert roster["population"].sum() == sum(100 * (i + 1) + j for i in range(6) for j in range(5))


def test_unrecognised_types_are_listed_in_one_warning(tmp_path):
    path = tmp_path / "types.csv"
    path.write_text(
        "编号,类型,经度,纬度\nc1,社区,123.41,41.79\nc2,图书馆,123.42,41.79\n"
        "c3,图书馆,123.43,41.79\nc4,大学,123.44,41.79\n",
        encoding="utf-8",
    )
    from circle._validate import validate_layer

    layer = read_layer(path, kind="centres")
    with pytest.warns(CircleWarning, match=r"2 type value\(s\).*'图书馆' \(2\)"):
        checked, _ = validate_layer(layer, kind="centres", source="types.csv")
    assert checked["type"].tolist() == ["community", "other", "other", "college"]


def test_two_candidate_columns_are_refused_naming_both(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("序号,社区编码,经度,纬度\n1,210102001,123.41,41.79\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"'序号' and '社区编码'.*--communities-id-column"):
        read_layer(path, kind="communities")
    layer = read_layer(
        path, kind="communities",
        columns=LayerColumns(per_layer=(("communities", "id", "社区编码"),)),
    )
    assert layer["id"].tolist() == ["210102001"] and "序号" in layer.columns


def test_per_layer_column_options(bureau_files, cli_runner, tmp_path):
    """A station list and a roster with other headers, each named by its own option."""
    stations = pd.read_csv(bureau_files["stations"], encoding="gb18030", dtype=str)
    stations.columns = ["站点代号", "站名", "站点性质", "经度", "纬度"]
    stations.to_csv(tmp_path / "s.csv", index=False)
    roster = gpd.read_file(bureau_files["communities"])
    roster = pd.DataFrame({"code": roster["id"], "title": roster["name"],
                           "people": roster["population"],
                           "lon": roster.geometry.x, "lat": roster.geometry.y})
    roster.to_csv(tmp_path / "c.csv", index=False)
    res = cli_runner(
        ["coverage", "--network", bureau_files["network"], "--centres", tmp_path / "s.csv",
         "--communities", tmp_path / "c.csv", "--datum", "wgs84", "--centres-datum", "gcj02",
         "--centres-id-column", "站点代号", "--centres-name-column", "站名",
         "--centres-type-column", "站点性质", "--communities-id-column", "code",
         "--communities-name-column", "title", "--communities-population-column", "people",
         "--out", tmp_path / "out"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "out" / "coverage.csv", dtype=str)
    assert set(table["nearest_centre_type"]) <= {s[3] for s in STATIONS}
    assert table["nearest_centre_name"].str.endswith("服务站").all()
    assert table["name"].str.startswith("社区").all()
    assert table["population"].astype(float).sum() > 0


def test_extract_writes_the_layers_it_can_and_warns_about_the_empty_ones(cli_runner, tmp_path):
    """The bundled real Aguascalientes extract has no residential areas (nor centres and
    candidates by the default presets): the GeoPackage is written with every layer, the empty
    ones named in a warning; a coverage run on it still refuses the missing communities."""
    import pyogrio

    from circle.bundled import bundled_path

    out = tmp_path / "layers.gpkg"
    res = cli_runner(["extract", bundled_path("aguascalientes.osm.bz2"), "--out", out],
                     catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "written empty" in res.output and "communities" in res.output
    layers = {str(name) for name, _ in pyogrio.list_layers(out)}
    assert layers == {"centres", "communities", "candidates", "gates"}
    assert len(gpd.read_file(out, layer="communities")) == 0
    # Helsinki: nothing is empty, so no warning
    helsinki = tmp_path / "helsinki.gpkg"
    res = cli_runner(["extract", bundled_path("helsinki_centre.osm.pbf"), "--out", helsinki],
                     catch_exceptions=False)
    assert res.exit_code == 0 and "written empty" not in res.output


def test_add_centres_runs_todays_centres_plus_the_proposals(cli_runner, tmp_path, bundled):
    """`--add-centres sites/proposals.csv` equals a run on the two files merged by hand, for
    proposals written with English or Chinese headers; a clashing id is refused."""
    _, centres_path, _ = bundled
    for header in ("en", "zh"):
        res = cli_runner(["-q", "site", "--add", "2", "--csv-header", header,
                          "--out", tmp_path / f"sites_{header}"], catch_exceptions=False)
        assert res.exit_code == 0, res.output
    proposals = pd.read_csv(tmp_path / "sites_en" / "proposals.csv", dtype={"site_id": str})
    centres = gpd.read_file(centres_path)
    merged = pd.concat(
        [centres[["id", "name", "type", "geometry"]],
         gpd.GeoDataFrame({"id": proposals["site_id"], "name": proposals["name"],
                           "type": proposals["type"]},
                          geometry=gpd.points_from_xy(proposals["lon"], proposals["lat"]),
                          crs="EPSG:4326").to_crs(centres.crs)],
        ignore_index=True,
    )
    gpd.GeoDataFrame(merged, crs=centres.crs).to_file(tmp_path / "merged.geojson")
    res = cli_runner(["-q", "coverage", "--centres", tmp_path / "merged.geojson",
                      "--out", tmp_path / "by_hand"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    want = pd.read_csv(tmp_path / "by_hand" / "coverage.csv", dtype=str)
    assert set(want["nearest_centre_id"]) & set(proposals["site_id"])  # the proposals serve
    for header in ("en", "zh"):
        out = tmp_path / f"added_{header}"
        res = cli_runner(["-q", "coverage", "--centres", centres_path, "--add-centres",
                          tmp_path / f"sites_{header}" / "proposals.csv", "--out", out],
                         catch_exceptions=False)
        assert res.exit_code == 0, res.output
        got = pd.read_csv(out / "coverage.csv", dtype=str)
        pd.testing.assert_frame_equal(got, want)
    res = cli_runner(["coverage", "--centres", centres_path, "--add-centres", centres_path,
                      "--out", tmp_path / "clash"])
    assert res.exit_code == 1
    assert "also an id of" in res.output and not (tmp_path / "clash").exists()
