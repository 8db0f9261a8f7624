"""Gated compounds: residents leave through gates. Every walk below is computed by hand."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from circle import CircleConfig, coverage_report, layers_from_osm, load_network
from circle.errors import CircleWarning, InputDataError
from circle.network.gates import gates_from_osm

from .conftest import CRS, X0, Y0, make_network, points


def compounds(rows):
    """Generated polygons in local metres: rows of (id, [(x, y), ...])."""
    geoms = [shapely.Polygon([(X0 + x, Y0 + y) for x, y in ring]) for _, ring in rows]
    return gpd.GeoDataFrame({"id": [r[0] for r in rows]}, geometry=geoms, crs=CRS)


def box(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def row(result, cid="h1"):
    return result.table.set_index("community_id").loc[cid]


@pytest.fixture
def far_gate_case():
    """Generated: the gate nearer the centre as the crow flies leads the long way round.

    ::

        A2 (215,600) ---------- N2 (400,600)
         |                        |
         |                        |
         A1 (215,70)              |
      [compound 100..200 x 30..110, gates A (200,70) east, B (100,70) west]
        W1 (80,70)               N1 (400,70)   centre (410,70)
         |                        |
        W0 (80,0) ------------- E0 (400,0)

    Representative point of the compound: (150, 70).
    Gate A joins A1 with a 15 m leg; A1 -> A2 -> N2 -> N1 = 530 + 185 + 530 = 1245 m;
    the centre's leg is 10 m. Via A: 50 (inside) + 15 + 1245 + 10 = 1320 m.
    Gate B joins W1 with a 20 m leg; W1 -> W0 -> E0 -> N1 = 70 + 320 + 70 = 460 m.
    Via B: 50 + 20 + 460 + 10 = 540 m. As the crow flies A is 210 m from the centre and
    B 310 m, yet B is right: walk 540 m.
    Without gates the representative point joins A1's street (65 m leg, nearer than the
    70 m to the others): 65 + 1245 + 10 = 1320 m.
    """
    nodes = {
        "A1": (215, 70),
        "A2": (215, 600),
        "N2": (400, 600),
        "N1": (400, 70),
        "E0": (400, 0),
        "W0": (80, 0),
        "W1": (80, 70),
    }
    names = sorted(nodes)
    net = make_network(
        {i: nodes[n] for i, n in enumerate(names)},
        [
            (names.index(a), names.index(b))
            for a, b in [
                ("A1", "A2"),
                ("A2", "N2"),
                ("N2", "N1"),
                ("N1", "E0"),
                ("E0", "W0"),
                ("W0", "W1"),
            ]
        ],
    )
    communities = compounds([("h1", box(100, 30, 200, 110))])
    centres = points([("c1", 410, 70)])
    gates = points([("A", 200, 70), ("B", 100, 70)])
    return net, communities, centres, gates


@pytest.mark.parametrize("engine", ["scipy", "networkx"])
def test_the_far_gate_is_the_right_one(far_gate_case, engine):
    net, communities, centres, gates = far_gate_case
    rep = shapely.point_on_surface(communities.geometry.iloc[0])
    assert (rep.x - X0, rep.y - Y0) == pytest.approx((150, 70))
    with_gates = coverage_report(communities, centres, net, gates=gates, engine=engine)
    r = row(with_gates)
    assert r.walk_m == pytest.approx(540.0, abs=1e-6)
    assert r.via_gate == "B"
    assert r.snap_m == pytest.approx(20.0)
    assert r.nearest_centre_id == "c1" and r.status == "ok" and r.band_min == 10.0
    without = coverage_report(communities, centres, net, engine=engine)
    assert row(without).walk_m == pytest.approx(1320.0, abs=1e-6)
    assert row(without).via_gate == ""


@pytest.fixture
def ring_case():
    """Generated: a compound inside a ring road, its gate on the side away from the centre.

    ::

        (-10,110) ---------------- (105,110)
            |     [compound 0..100 x 0..100]   |
      gate (0,50)          rep (50,50)       (105,50) -------- (300,50)   centre (300,60)
            |                                  |
        (-10,-10) ---------------- (105,-10)

    Without gates the representative point (50, 50) joins the east side (55 m, nearer than
    the 60 m to the others): 55 + 195 + 10 (centre's leg) = 260 m.
    Through the only gate, on the west side: inside 50 m, leg 10 m to (-10, 50), round the
    ring 60 + 115 + 60 = 235 m (north or south alike) to (105, 50), east 195 m, centre's leg
    10 m: 50 + 10 + 235 + 195 + 10 = 500 m.
    """
    nodes = {
        0: (-10, -10),
        1: (105, -10),
        2: (105, 50),
        3: (105, 110),
        4: (-10, 110),
        5: (300, 50),
    }
    net = make_network(nodes, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (2, 5)])
    communities = compounds([("h1", box(0, 0, 100, 100))])
    centres = points([("c1", 300, 60)])
    return net, communities, centres


@pytest.mark.parametrize("engine", ["scipy", "networkx"])
def test_no_gate_on_the_side_facing_the_centre_walks_round(ring_case, engine):
    net, communities, centres = ring_case
    gates = points([("west", 0, 50, "h1")], columns=("id", "x", "y", "community_id"))
    assert row(coverage_report(communities, centres, net, engine=engine)).walk_m == (
        pytest.approx(260.0, abs=1e-6)
    )
    r = row(coverage_report(communities, centres, net, gates=gates, engine=engine))
    assert r.walk_m == pytest.approx(500.0, abs=1e-6)
    assert r.via_gate == "west"
    assert r.walk_min == pytest.approx(500.0 / (4000 / 60))


def test_tied_gates_go_to_the_smallest_id_in_natural_order(ring_case):
    """North gate (50, 100) and south gate (50, 0) both walk 50 + 10 + 55 + 60 + 195 + 10 =
    380 m. "g2" comes before "g10" in natural order (not in plain string order)."""
    net, communities, centres = ring_case
    gates = points([("g10", 50, 100), ("g2", 50, 0)])
    r = row(coverage_report(communities, centres, net, gates=gates))
    assert r.walk_m == pytest.approx(380.0, abs=1e-6)
    assert r.via_gate == "g2"
    r = row(coverage_report(communities, centres, net, gates=gates.iloc[::-1]))
    assert r.via_gate == "g2"


def test_a_gate_off_the_network_is_not_used_and_all_off_means_off_network(line_network):
    """The street runs along y = 0. Compound 150..250 x 5..50: representative point
    (200, 27.5), 27.5 m from the street; top gate (200, 50) 50 m from it; bottom gate
    (200, 5) 5 m. With max_snap_m = 40 the top gate is off the network.
    Both gates: via the bottom one, 22.5 + 5 + 200 = 227.5 m to the centre at (0, 0).
    Top gate only: the community is off the network (not walked from its representative
    point, which would give 27.5 + 200 = 227.5 m)."""
    communities = compounds([("h1", box(150, 5, 250, 50))])
    centres = points([("c1", 0, 0)])
    cfg = CircleConfig(max_snap_m=40)
    both = points([("top", 200, 50), ("bottom", 200, 5)])
    r = row(coverage_report(communities, centres, line_network, gates=both, config=cfg))
    assert r.walk_m == pytest.approx(227.5, abs=1e-6) and r.via_gate == "bottom"
    res = coverage_report(communities, centres, line_network, gates=both.iloc[:1], config=cfg)
    r = row(res)
    assert r.status == "off_network" and not r.covered and np.isnan(r.walk_m)
    assert r.via_gate == "" and np.isnan(r.snap_m)
    assert res.sources["gates"]["off_network"] == 1


def test_gates_link_by_boundary_tolerance_and_shared_walls(line_network):
    """Two compounds share the wall x = 200. A gate at (200, 30) lies on both boundaries and
    serves both; a gate 4 m outside h1's west wall links within the default 5 m; a gate
    8 m away does not (warning). Walks to the centre at (0, 0), street y = 0:
    h1 (100..200 x 10..50, rep (150, 30)) via "w" (96, 30): 54 + 30 + 96 = 180 m;
    h2 (200..300 x 10..50, rep (250, 30)) via "shared" (200, 30): 50 + 30 + 200 = 280 m."""
    communities = compounds([("h1", box(100, 10, 200, 50)), ("h2", box(200, 10, 300, 50))])
    gates = points([("shared", 200, 30), ("w", 96, 30), ("stray", 350, 58)])
    with pytest.warns(CircleWarning, match="1 of 3 gates lie farther than 5 m"):
        res = coverage_report(communities, points([("c1", 0, 0)]), line_network, gates=gates)
    assert row(res, "h1").walk_m == pytest.approx(180.0) and row(res, "h1").via_gate == "w"
    assert row(res, "h2").walk_m == pytest.approx(280.0) and row(res, "h2").via_gate == "shared"
    g = res.sources["gates"]
    assert (g["linked_gates"], g["unlinked_gates"], g["communities_with_gates"]) == (2, 1, 2)


def test_bad_gate_layers_are_refused(ring_case):
    net, communities, centres = ring_case
    unknown = points([("g1", 0, 50, "nope")], columns=("id", "x", "y", "community_id"))
    unknown.attrs["source"] = "gates.csv"
    with pytest.raises(InputDataError, match=r"gates.csv: community_id \['nope'\] in row 1"):
        coverage_report(communities, centres, net, gates=unknown)
    line = gpd.GeoDataFrame(
        {"id": ["g1"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 1, Y0)])], crs=CRS
    )
    with pytest.raises(InputDataError, match="must be points"):
        coverage_report(communities, centres, net, gates=line)
    dup = points([("g1", 0, 50), ("g1", 0, 40)])
    with pytest.raises(InputDataError, match="duplicate ids"):
        coverage_report(communities, centres, net, gates=dup)


@pytest.mark.parametrize("seed", range(12))
def test_gates_against_brute_force_on_generated_grids(seed):
    """Generated grids (100 m blocks, some streets missing); compounds are blocks, gates sit on
    block corners (street nodes, so no access leg), centres on nodes. Brute force: for each
    compound, min over its gates and all centres of (straight line from the representative
    point to the gate + networkx shortest path from gate to centre)."""
    rng = np.random.default_rng(seed)
    k = 7
    nodes = {i * k + j: (100.0 * i, 100.0 * j) for i in range(k) for j in range(k)}
    edges = [
        (a, b)
        for a in nodes
        for b in (a + 1, a + k)
        if b in nodes and not (b == a + 1 and (a + 1) % k == 0)
    ]
    edges = [e for e in edges if rng.random() < 0.8]
    net = make_network(nodes, edges)
    G = nx.Graph()
    G.add_weighted_edges_from(
        (a, b, float(np.hypot(*np.subtract(nodes[a], nodes[b])))) for a, b in edges
    )
    used = [n for n in nodes if n in G]
    centre_nodes = list(rng.choice(used, size=3, replace=False))
    blocks = [(i, j) for i in range(k - 1) for j in range(k - 1) if rng.random() < 0.4]
    comm_rows, gate_rows = [], []
    for i, j in blocks:
        cid = f"h{i}_{j}"
        comm_rows.append((cid, box(100 * i, 100 * j, 100 * i + 100, 100 * j + 100)))
        corners = [(i + di) * k + (j + dj) for di in (0, 1) for dj in (0, 1)]
        for c in rng.choice(corners, size=int(rng.integers(1, 4)), replace=False):
            if c in G:
                gate_rows.append((f"{cid}_n{c}", *nodes[c], cid))
    communities = compounds(comm_rows)
    gates = points(gate_rows, columns=("id", "x", "y", "community_id"))
    centres = points([(f"c{n}", *nodes[n]) for n in centre_nodes])
    res = coverage_report(communities, centres, net, gates=gates)
    ref = coverage_report(communities, centres, net, gates=gates, engine="networkx")
    dist = {c: nx.single_source_dijkstra_path_length(G, c) for c in centre_nodes}
    t = res.table.set_index("community_id")
    for cid, ring in comm_rows:
        rep = shapely.point_on_surface(shapely.Polygon(ring))
        mine = [g for g in gate_rows if g[3] == cid]
        best = min(
            (
                np.hypot(gx - rep.x, gy - rep.y) + dist[c].get(int(gid.split("_n")[1]), np.inf)
                for gid, gx, gy, _ in mine
                for c in centre_nodes
            ),
            default=np.inf,
        )
        got = t.loc[cid, "walk_m"]
        if np.isfinite(best):
            assert got == pytest.approx(best, abs=1e-6), cid
        elif mine:
            assert np.isnan(got) and t.loc[cid, "status"] == "unreachable"
    np.testing.assert_allclose(res.table["walk_m"], ref.table["walk_m"], atol=1e-6, rtol=0)
    assert list(res.table["via_gate"]) == list(ref.table["via_gate"])


def test_osm_gates_on_the_bundled_data(bundled):
    """Real data: entrance and gate nodes of the Helsinki extract, linked to the residential
    areas derived from the same file. Every gate used lies within 5 m of its community's
    boundary (checked with geopandas here), and the walk is at least the straight line from
    the representative point to the gate plus the straight line from the gate to the
    centre."""
    network, _, _ = bundled
    net = load_network(network)
    centres, communities = layers_from_osm(network)
    gates = gates_from_osm(network)
    assert set(gates["osm_tag"].str.split("=").str[0]) == {"entrance", "barrier"}
    res = coverage_report(communities, centres, net, gates=gates)
    ref = coverage_report(communities, centres, net, gates=gates, engine="networkx")
    np.testing.assert_allclose(res.table["walk_m"], ref.table["walk_m"], atol=1e-6, rtol=0)
    used = res.table.loc[res.table["via_gate"] != ""]
    assert len(used) == res.sources["gates"]["communities_walking_via_gate"] > 0
    g = gates.set_index("id").to_crs(net.crs)
    c = centres.set_index("id").to_crs(net.crs)
    for r in used.itertuples():
        gate = g.loc[r.via_gate, "geometry"]
        assert r.geometry.boundary.distance(gate) <= 5.0
        rep = r.geometry.representative_point()
        crow = rep.distance(gate) + gate.distance(c.loc[r.nearest_centre_id, "geometry"])
        assert r.walk_m >= crow - 1e-6


def test_point_communities_have_no_boundary_so_unlinked_gates_change_nothing(line_network):
    """Point communities have no boundary: gates without community_id link to none of them
    (warning), and the walk is the representative point's: 20 + 250 = 270 m."""
    communities = points([("h1", 250, 20)])
    centres = points([("c1", 0, 0)])
    with pytest.warns(CircleWarning, match="1 of 1 gates"):
        res = coverage_report(communities, centres, line_network, gates=points([("g", 250, 20)]))
    assert row(res).walk_m == pytest.approx(270.0) and row(res).via_gate == ""
