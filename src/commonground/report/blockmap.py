"""A map of blocks where coordinates exist: position by longitude/latitude, colour by composition or cap use.

There are no map tiles (a report must open offline): the blocks are drawn on plain axes, with the aspect
ratio corrected for latitude so distances look right.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from commonground.report.data import AllocationData
from commonground.report.figures import colours, new_figure

MAX_LABELS = 30


def block_measures(r: AllocationData) -> pd.DataFrame:
    """Per block with coordinates: units, the largest group (of the first attribute) and its share after
    allocation, and the highest utilisation of any block cap."""
    assert r.blocks is not None
    comp = r.composition[r.composition["level"] == "block"].copy()
    attrs = r.attributes or list(dict.fromkeys(comp["attribute"]))
    out = r.blocks.copy()
    out["block_id"] = out["block_id"].astype(str)
    if attrs:
        sub = comp[comp["attribute"] == attrs[0]].copy()
        sub["unit_id"] = sub["unit_id"].astype(str)
        top = sub.sort_values("share", ascending=False).drop_duplicates("unit_id").set_index("unit_id")
        out["units"] = out["block_id"].map(top["units"])
        out["largest group"] = out["block_id"].map(top["value"].astype(str))
        out["largest share"] = out["block_id"].map(top["share"])
    hh = r.households
    if "neighbourhood_id" in out.columns:
        out["neighbourhood"] = out.pop("neighbourhood_id")
    elif {"block_id", "neighbourhood_id"} <= set(hh.columns):
        nb = hh.dropna(subset=["block_id", "neighbourhood_id"]).drop_duplicates("block_id")
        out["neighbourhood"] = out["block_id"].map(nb.set_index(nb["block_id"].astype(str))["neighbourhood_id"])
    caps = r.caps[r.caps["level"] == "block"] if r.has_caps else pd.DataFrame()
    if len(caps):
        util = caps.assign(unit_id=caps["unit_id"].astype(str)).groupby("unit_id")["utilisation"].max()
        out["highest cap utilisation"] = out["block_id"].map(util)
    return out


def block_map_figure(results: list[AllocationData]) -> Figure | None:
    """One row per result: blocks coloured by their largest group (legend; marker size = dwellings), and (with caps)
    by the highest block cap utilisation; each panel has a km scale bar."""
    rows = [(r, block_measures(r)) for r in results if r.blocks is not None and len(r.blocks)]
    if not rows:
        return None
    ncols = 2 if any("highest cap utilisation" in m.columns for _, m in rows) else 1
    fig = new_figure(4.6 * ncols + 0.6, 3.9 * len(rows))
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    groups = sorted({g for _, m in rows if "largest group" in m.columns for g in m["largest group"].dropna()})
    group_colour = colours(groups)
    panels = [("largest group", "largest group after allocation (size: dwellings)", "", (0.0, 1.0)),
              ("highest cap utilisation", "highest block cap utilisation", "RdYlGn_r", (0.0, 1.0))]
    for i, (r, m) in enumerate(rows):
        lat0 = float(m["lat"].mean())
        for j, (col, title, cmap, (lo, hi)) in enumerate(panels[:ncols]):
            ax = axes[i, j]
            ax.set_aspect(1 / max(math.cos(math.radians(lat0)), 0.1))
            ax.tick_params(labelsize=7)
            if col not in m.columns:
                ax.set_visible(False)
                continue
            size = 12 + 60 * (m["units"].fillna(0) / max(float(m["units"].max() or 1), 1)) if "units" in m else 30
            if col == "largest group":
                ax.scatter(m["lng"], m["lat"], c=[group_colour.get(g, "#bbbbbb") for g in m[col]], s=size,
                           edgecolors="#333333", linewidths=0.4)
                ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=group_colour[g], label=g,
                                          markeredgecolor="#333333", markeredgewidth=0.4) for g in groups],
                          fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                          title="largest group", title_fontsize=7)
            else:
                sc = ax.scatter(m["lng"], m["lat"], c=m[col].astype(float), s=size, cmap=colormaps[cmap], vmin=lo,
                                vmax=hi, edgecolors="#333333", linewidths=0.4)
            if len(m) <= MAX_LABELS:
                for _, b in m.iterrows():
                    text = b["block_id"]
                    if col == "largest group" and pd.notna(b.get("largest share")):
                        text += f" {float(b['largest share']):.0%}"
                    ax.annotate(text, (b["lng"], b["lat"]), fontsize=6, xytext=(3, 3),
                                textcoords="offset points", color="#333333")
            if col != "largest group":
                cb = fig.colorbar(sc, ax=ax, shrink=0.7, format=lambda x, _: f"{x:.0%}")
                cb.ax.tick_params(labelsize=7)
            ax.set_title(f"{r.label}: {title}" if len(rows) > 1 else title, fontsize=9, loc="left")
            ax.ticklabel_format(useOffset=False, style="plain")
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.yaxis.set_major_locator(MaxNLocator(5))
            ax.set_xlabel("longitude", fontsize=7)
            ax.set_ylabel("latitude", fontsize=7)
            _pad(ax, m)
            _outlines(ax, m)
            _scale_bar(ax, lat0)
    return fig


def _outlines(ax, m: pd.DataFrame) -> None:
    """Each neighbourhood's blocks enclosed by their convex hull (dashed), labelled: the outline a reader orients
    by when there are no map tiles. Blocks whose neighbourhood is unknown (nobody moved in) are left out."""
    if "neighbourhood" not in m.columns:
        return
    from scipy.spatial import ConvexHull, QhullError

    for name, g in m.dropna(subset=["neighbourhood"]).groupby("neighbourhood"):
        pts = g[["lng", "lat"]].to_numpy(dtype=float)
        if len(pts) >= 3:
            try:
                ring = pts[ConvexHull(pts).vertices]
            except QhullError:  # collinear blocks
                ring = pts
        else:
            ring = pts
        closed = np.vstack([ring, ring[:1]])
        ax.plot(closed[:, 0], closed[:, 1], color="#777777", linewidth=0.8, linestyle="--", zorder=0)
        ax.annotate(str(name), (float(pts[:, 0].mean()), float(pts[:, 1].max())), xytext=(0, 8),
                    textcoords="offset points", ha="center", fontsize=7, color="#555555")


#: Scale bar lengths to choose from (km).
SCALE_KM = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _scale_bar(ax, lat0: float) -> None:
    """A scale bar (km) in the lower left, about a quarter of the panel's width, so a reader can orient without
    map tiles."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_deg = 111.32 * max(math.cos(math.radians(lat0)), 0.01)
    width_km = (x1 - x0) * km_per_deg
    km = max([k for k in SCALE_KM if k <= width_km / 4] or [SCALE_KM[0]])
    xs = x0 + 0.05 * (x1 - x0)
    y = y0 + 0.05 * (y1 - y0)
    ax.plot([xs, xs + km / km_per_deg], [y, y], color="#000000", linewidth=2, solid_capstyle="butt")
    ax.annotate(f"{km:g} km", (xs, y), xytext=(0, 3), textcoords="offset points", fontsize=7)


def _pad(ax, m: pd.DataFrame) -> None:
    for col, setter in (("lng", ax.set_xlim), ("lat", ax.set_ylim)):
        lo, hi = float(m[col].min()), float(m[col].max())
        span = max(hi - lo, 1e-3)
        setter(lo - 0.08 * span, hi + 0.08 * span)


def blocks_missing_coordinates(r: AllocationData) -> int:
    blocks = set(r.composition.loc[r.composition["level"] == "block", "unit_id"].astype(str))
    have = set(r.blocks["block_id"].astype(str)) if r.blocks is not None else set()
    return len(blocks - have)


__all__ = ["block_map_figure", "block_measures", "blocks_missing_coordinates"]
