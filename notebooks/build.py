"""Write the notebooks (without outputs) and, with ``--figure``, the README's figure.

    python notebooks/build.py            # writes 01_coverage.ipynb and 02_siting.ipynb
    python notebooks/build.py --figure   # runs 01_coverage.ipynb, saves docs/sensitivity.png

The figure is the PNG the notebook's sensitivity cell (tagged ``readme-figure``) displays, so
the README shows exactly what the notebook computes.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
FIGURE = HERE.parent / "docs" / "sensitivity.png"
FIGURE_TAG = "readme-figure"


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, *tags: str):
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def setup(imports: str, names: str):
    """The first code cell: imports, and the bundled study area."""
    return code(
        f"import matplotlib.pyplot as plt\n{imports}import pandas as pd\n\n"
        f"from circle import {names}\n\nstudy = StudyArea.bundled()"
    )


COVERAGE = [
    md("""
# 15-minute employment circle: coverage of the bundled district

Which communities can reach an employment service centre within a 15-minute walk? This notebook
runs the same engine as `circle coverage` on the bundled demo district — real OpenStreetMap data
of central Helsinki (see `data/README.md`), whose populations are *estimates from OSM building
floor area*, not census figures. Everything runs offline.

For your own district, replace `StudyArea.bundled()` with
`StudyArea.from_files("shenhe.osm.pbf", centres="centres.csv", communities="communities.gpkg")`.
"""),
    setup("import numpy as np\n", "StudyArea"),
    md("## The walking network"),
    code("""
net = study.network
print(
    f"{len(net.node_ids):,} street nodes, {len(net.edge_u):,} street segments, "
    f"{net.edge_length_m.sum() / 1000:.1f} km of walkable street, projected in {net.crs}"
)
"""),
    md("## Employment service centres and communities"),
    code('study.centres[["id", "name", "type"]]'),
    code("""
communities = study.communities
print(
    f"{len(communities)} communities, {communities['population'].sum():,.0f} people "
    f"({', '.join(sorted(set(communities['population_source'])))})"
)
communities[["id", "name", "population"]]
"""),
    md("""
## Coverage in walk-time bands

`study.coverage()` walks every community to its nearest centre along the streets, at the
default 4 km/h with bands of 5, 10 and 15 minutes. The result shows itself as a summary;
`.table` is a GeoDataFrame with one row per community.
"""),
    code("""
cov = study.coverage()
cov
"""),
    code("""
columns = ["community_id", "name", "population", "walk_m", "walk_min", "band_min", "covered"]
cov.table[columns]
"""),
    code("ax = cov.plot()"),
    md("The interactive map (the same file as `circle coverage --map`, offline):"),
    code("cov.map()"),
    md("## Who is left out"),
    code("""
left = cov.uncovered
share = cov.share_covered()
print(
    f"{len(left)} of {len(cov.table)} communities ({left['population'].sum():,.0f} people, "
    f"{1 - share:.1%} of the population) are beyond a {cov.config.threshold_min:g}-minute walk"
)
left[["community_id", "name", "population", "walk_min", "nearest_centre_name"]]
"""),
    md("""
## Sensitivity: walking speed and threshold

How much does the answer depend on the assumptions? One coverage run per walking speed from 3 to
5 km/h, each giving the share of the population covered at every threshold. A faster walker or
a longer threshold can only reach farther, so every curve must rise (or stay flat); the `assert`
checks it on the computed numbers.
"""),
    code("""
speeds = np.round(np.arange(3.0, 5.01, 0.25), 2)
thresholds = (5.0, 10.0, 15.0, 20.0)
runs = {s: study.coverage(walk_speed_kmh=s, thresholds_min=thresholds) for s in speeds}
sensitivity = pd.DataFrame(
    {f"{t:g} min": [runs[s].share_covered(t) for s in speeds] for t in thresholds},
    index=pd.Index(speeds, name="walk_speed_kmh"),
)
sensitivity.style.format("{:.1%}")
"""),
    code("""
assert (sensitivity.diff().dropna() >= 0).all().all(), "share covered must not fall with speed"
assert (sensitivity.T.diff().dropna() >= 0).all().all(), "nor with a longer threshold"
print("monotone in walking speed and in threshold")
"""),
    code(
        """
fig, ax = plt.subplots(figsize=(8, 4.2))
for column in sensitivity:
    ax.plot(sensitivity.index, 100 * sensitivity[column], marker="o", label=f"within {column}")
ax.axvline(4.0, color="grey", linestyle=":", label="default 4 km/h")
ax.set_xlabel("walking speed (km/h)")
ax.set_ylabel("population covered (%)")
ax.set_ylim(0, 103)
ax.set_title("Bundled district: share covered against walking speed and threshold")
ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
ax.grid(alpha=0.3)
""",
        FIGURE_TAG,
    ),
    code("""
low = sensitivity.loc[speeds[0], "15 min"]
high = sensitivity.loc[speeds[-1], "15 min"]
print(
    f"At 15 minutes, walking {speeds[0]:g} instead of {speeds[-1]:g} km/h changes the share "
    f"covered from {high:.1%} to {low:.1%}"
)
"""),
    md("""
## The CLI's files

`.to_files(folder)` writes exactly what `circle coverage --out folder` writes.
"""),
    code("""
import tempfile

with tempfile.TemporaryDirectory() as folder:
    written = cov.to_files(folder)
    print([p.name for p in written])
"""),
]

SITING = [
    md("""
# Where should the next centres go?

Gaps → candidate sites → how many new centres → where. The same engine as `circle site`, on
the bundled demo district (OpenStreetMap data of central Helsinki; populations are estimates
from OSM building floor area). Everything runs offline.
"""),
    setup("", "CircleConfig, StudyArea"),
    md("""
## Choosing the circle for this demo

The bundled district is small. At the full 15-minute circle, a handful of
new sites brings in every community a candidate can reach, so a curve over K = 1 … 10 would be
flat after the first few points. The next cell computes that number; this notebook then uses a
**5-minute** circle so that the diminishing returns of each additional centre are visible.
For a real district use the 15-minute circle.
"""),
    code("""
candidates = study.candidates(from_osm=True, grid_m=100)
full = study.site(cover_all=True, candidates=candidates)
print(
    f"At {full.config.threshold_min:g} minutes, {len(full.proposals)} new site(s) cover every "
    f"community any candidate reaches ({full.summary['after']['communities_covered']} of "
    f"{len(full.table)})"
)
config = CircleConfig(thresholds_min=(5.0,))
"""),
    md("## The gaps: communities beyond a 5-minute walk of an existing centre"),
    code("""
before = study.coverage(config)
before
"""),
    code('before.uncovered[["community_id", "name", "population", "walk_min"]]'),
    md("""
## Candidate sites

Public buildings, offices, colleges, enterprises and business areas tagged in the OSM file (the
existing centres left out), plus one street node per 100 m square as a grid of fallback sites.
"""),
    code("""
kinds = {"grid": "street grid", "node": "OSM node", "way": "OSM way", "relation": "OSM relation"}
source = candidates["id"].str.split("/").str[0].map(kinds)
print(f"{len(candidates)} candidate sites")
source.value_counts().rename("candidates")
"""),
    md("""
## How many new centres? K from 1 to 10

For each K the exact maximal-covering solution (MILP): the population newly brought within the
circle. The optimum can only grow with K (a site that adds nobody is never proposed); the
marginal gain shows where extra centres stop paying off.
"""),
    code("""
ks = range(1, 11)
by_k = {k: study.site(add=k, candidates=candidates, config=config) for k in ks}
curve = pd.DataFrame(
    {
        "sites_proposed": [len(by_k[k].proposals) for k in ks],
        "population_newly_covered": [by_k[k].summary["gain"]["population"] for k in ks],
        "communities_newly_covered": [by_k[k].summary["gain"]["communities"] for k in ks],
        "share_covered_after": [by_k[k].summary["after"]["population_share"] for k in ks],
    },
    index=pd.Index(ks, name="K"),
)
gain = curve["population_newly_covered"]
curve["marginal_gain"] = gain.diff().fillna(gain)
assert (gain.diff().dropna() >= 0).all(), "the best gain must not fall as K grows"
curve
"""),
    code("""
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.bar(curve.index, curve["marginal_gain"], color="#cab2d6", label="added by the K-th site")
ax.plot(curve.index, gain, marker="o", color="#6a3d9a", label="newly covered with K sites")
ax.set_xticks(list(ks))
ax.set_xlabel("K, new centres")
ax.set_ylabel("people newly within a 5-minute walk")
ax.set_title("Diminishing returns of each additional centre")
ax.legend(loc="center right")
ax.grid(axis="y", alpha=0.3)
"""),
    md("""
## The chosen sites

Take the smallest K that reaches 90 % of the largest gain any K up to 10 achieves (computed).
"""),
    code("""
best = curve["population_newly_covered"].max()
k = int(curve.index[curve["population_newly_covered"] >= 0.9 * best][0])
chosen = by_k[k]
print(f"K = {k}: {curve.loc[k, 'population_newly_covered']:,.0f} of at most {best:,.0f} people")
chosen
"""),
    code("""
columns = ["rank", "site_id", "name", "population_newly_covered", "communities_newly_covered"]
chosen.proposals[columns]
"""),
    code("ax = chosen.plot()"),
    code("chosen.map()"),
    md("""
The "after" figures are a fresh coverage run with the proposals added to the centres; they agree
with the siting result:
"""),
    code("""
after = chosen.after
covered_after = after.summary["thresholds"][-1]["population_covered"]
assert covered_after == chosen.summary["after"]["population_covered"]
after
"""),
    code("""
import tempfile

with tempfile.TemporaryDirectory() as folder:
    print([p.name for p in chosen.to_files(folder)])
"""),
]


def write_notebooks() -> list[Path]:
    """Write both notebooks, without outputs."""
    written = []
    for name, cells in (("01_coverage.ipynb", COVERAGE), ("02_siting.ipynb", SITING)):
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:2]}-{i:02d}"  # stable ids: the same script gives the same file
        nbformat.validate(nb)
        path = HERE / name
        nbformat.write(nb, path)
        written.append(path)
    return written


def write_figure() -> Path:
    """Run 01_coverage.ipynb and save the PNG its tagged sensitivity cell shows."""
    from nbclient import NotebookClient

    # the kernel imports this checkout's circle, not another installed copy
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])
    )
    nb = nbformat.read(HERE / "01_coverage.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(HERE)}}).execute()
    cell = next(c for c in nb.cells if FIGURE_TAG in c.metadata.get("tags", []))
    png = next(o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {}))
    FIGURE.write_bytes(base64.b64decode(png))
    return FIGURE


if __name__ == "__main__":
    for path in write_notebooks():
        print(f"wrote {path}")
    if "--figure" in sys.argv[1:]:
        print(f"wrote {write_figure()}")
