"""Invariants of the coverage engine, proven over random street-like grids and random points.

Each test states one property a planner relies on; hypothesis draws generated networks (jittered
grids with gaps, see `tests.strategies`) and point layers, with a fixed, bounded set of examples.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from circle import CircleConfig, coverage_report, summarise
from circle.errors import NetworkError
from circle.network.snap import snap_points
from circle.network.walk import network_from_arrays

from .conftest import CRS, X0, Y0, points
from .strategies import bounded, point_rows, scenes

#: walks are sums of up to a few dozen segment lengths; splitting an edge moves them by ~1e-12 m
TOL_M = 1e-6

@st.composite
def configs(draw):
    """Run parameters; the search limit is sometimes the threshold itself (beyond_limit occurs)."""
    thresholds = draw(st.sampled_from([(5.0, 10.0, 15.0), (3.0,), (2.0, 7.5)]))
    return CircleConfig(
        walk_speed_kmh=draw(st.sampled_from([3.0, 4.0, 4.8, 6.0])),
        thresholds_min=thresholds,
        max_snap_m=draw(st.sampled_from([40.0, 120.0, 500.0])),
        min_component_m=0.0,
        search_limit_min=draw(st.sampled_from([max(thresholds), 30.0, 60.0])),
    )


def report(net, communities, centres, config, engine="scipy"):
    """The coverage table, or None when no centre joins the network (the run is refused)."""
    try:
        return coverage_report(points(communities), points(centres), net, config=config,
                               engine=engine).table
    except NetworkError:
        return None


def walks(table) -> np.ndarray:
    """Walk metres per community, inf when no centre was found."""
    return table["walk_m"].fillna(np.inf).to_numpy(float)


@bounded(40)
@given(scene=scenes(), config=configs())
def test_fast_path_equals_networkx_reference(scene, config):
    """The one-search scipy engine gives the networkx reference's walks, centres and statuses."""
    net, _, communities, centres = scene
    fast = report(net, communities, centres, config)
    ref = report(net, communities, centres, config, engine="networkx")
    assert (fast is None) == (ref is None)
    if fast is None:
        return
    np.testing.assert_allclose(walks(fast), walks(ref), rtol=0, atol=TOL_M)
    for col in ("nearest_centre_id", "status", "covered", "band_min"):
        pd.testing.assert_series_equal(fast[col], ref[col])


@bounded(40)
@given(scene=scenes(), config=configs(), data=st.data())
def test_walk_never_shrinks_when_the_network_loses_edges(scene, config, data):
    """Removing streets (one or several) can only lengthen walks or cut them off.

    The removed edges are ones no community or centre joins: losing the edge a point snaps to
    re-snaps that point to another street, which is a different question (nearest-edge snapping
    can then find a shorter walk).
    """
    net, _, communities, centres = scene
    xy = np.array([(x + X0, y + Y0) for _, x, y in communities + centres])
    snapped = snap_points(net, xy, max_snap_m=config.max_snap_m)
    free = np.setdiff1d(np.arange(net.n_edges), snapped.edge)
    if free.size == 0:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    share = data.draw(st.sampled_from([0.0, 0.3, 0.6]), label="share of free edges lost")
    lost = np.union1d(free[:1], free[rng.random(free.size) < share])
    keep = ~np.isin(np.arange(net.n_edges), lost)
    if not keep.any():  # no street left: there is no network to walk on
        return
    smaller = network_from_arrays(
        net.xy, net.edge_u[keep], net.edge_v[keep], crs=CRS, node_ids=net.node_ids,
        min_component_m=0,
    )
    before = report(net, communities, centres, config)
    after = report(smaller, communities, centres, config)
    if before is None:
        assert after is None
        return
    assert (walks(after) >= walks(before) - TOL_M).all()
    assert not (after["covered"] & ~before["covered"]).any()


@bounded(30)
@given(scene=scenes(), config=configs(), data=st.data())
def test_coverage_never_shrinks_when_a_centre_is_added(scene, config, data):
    net, extent, communities, centres = scene
    extra = point_rows(data.draw, extent, "new", 1, 1)
    before = report(net, communities, centres, config)
    after = report(net, communities, centres + extra, config)
    if before is None:
        return
    assert after is not None
    assert (walks(after) <= walks(before) + TOL_M).all()
    assert not (before["covered"] & ~after["covered"]).any()


@bounded(30)
@given(scene=scenes(), config=configs(), rise=st.sampled_from([1.0, 2.5, 10.0]))
def test_coverage_never_shrinks_when_the_threshold_rises(scene, config, rise):
    net, _, communities, centres = scene
    higher = dataclasses.replace(
        config,
        thresholds_min=(config.threshold_min + rise,),
        search_limit_min=max(config.search_limit_min, config.threshold_min + rise),
    )
    before = report(net, communities, centres, config)
    after = report(net, communities, centres, higher)
    if before is None:
        return
    assert not (before["covered"] & ~after["covered"]).any()
    assert summarise_share(after) >= summarise_share(before)


@bounded(30)
@given(scene=scenes(), config=configs(), factor=st.sampled_from([1.1, 1.5, 2.0]))
def test_coverage_never_shrinks_when_the_speed_rises(scene, config, factor):
    net, _, communities, centres = scene
    faster = dataclasses.replace(config, walk_speed_kmh=config.walk_speed_kmh * factor)
    before = report(net, communities, centres, config)
    after = report(net, communities, centres, faster)
    if before is None:
        return
    assert not (before["covered"] & ~after["covered"]).any()
    found = before["walk_min"].notna().to_numpy()
    np.testing.assert_allclose(
        after["walk_min"].to_numpy()[found], before["walk_min"].to_numpy()[found] / factor,
        rtol=1e-12,
    )


@bounded(40)
@given(scene=scenes(), config=configs())
def test_walk_time_is_at_least_the_straight_line_time(scene, config):
    """No walk beats the crow: walk_min >= straight-line distance / speed, for every community."""
    net, _, communities, centres = scene
    table = report(net, communities, centres, config)
    if table is None:
        return
    found = table["walk_min"].notna().to_numpy()
    where = {cid: (x, y) for cid, x, y in centres}
    home = {cid: (x, y) for cid, x, y in communities}
    for row in table.loc[found].itertuples():
        (hx, hy), (cx, cy) = home[row.community_id], where[row.nearest_centre_id]
        crow_min = np.hypot(hx - cx, hy - cy) / (config.walk_speed_kmh * 1000 / 60)
        assert row.walk_min >= crow_min - 1e-9


@bounded(30)
@given(scene=scenes(), config=configs(), data=st.data())
def test_results_do_not_depend_on_input_row_order(scene, config, data):
    net, _, communities, centres = scene
    shuffled_comm = data.draw(st.permutations(communities), label="communities order")
    shuffled_cent = data.draw(st.permutations(centres), label="centres order")
    try:
        a = coverage_report(points(communities), points(centres), net, config=config)
    except NetworkError as err:
        with pytest.raises(NetworkError, match=str(err).split(";")[0]):
            coverage_report(points(shuffled_comm), points(shuffled_cent), net, config=config)
        return
    b = coverage_report(points(shuffled_comm), points(shuffled_cent), net, config=config)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.centres, b.centres)
    assert summarise(a) == summarise(b)


def summarise_share(table) -> int:
    return int(table["covered"].sum())
