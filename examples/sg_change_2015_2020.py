"""Has ethnic segregation across Singapore's planning areas changed between 2015 and 2020, and why?

Real data (../shared/data, see SOURCES.md):

* 2015: the planning-area resident counts (Chinese, Malay, Indian & others) in Benabbou et al.'s HDB data
  (``benabbou_hdb/planningArea.txt``: centre longitude/latitude and three counts per URA 2014 planning area).
  Their totals -- 3,902,830 residents, 2,899,867 Chinese -- are those of the General Household Survey 2015;
  the file does not name its source year, so "2015" is our inference from the totals.
* 2020: Census of Population 2020 by subzone (``sg_census2020_ethnic_by_subzone.csv``), summed to planning
  areas (indians + others as one group, as in 2015).

The 2015 file has no planning-area names, only centres: each is matched to a 2020 planning area by the
one-to-one assignment that minimises the total distance between centres (SciPy's Hungarian solver).

Run: ``python examples/sg_change_2015_2020.py`` (prints the tables used in docs/measure.md).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from commonground.measure import Counts, decompose_difference, measure, mutual_difference

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GROUPS = ["chinese", "malays", "indians_others"]


def load_2015() -> pd.DataFrame:
    text = (DATA / "benabbou_hdb" / "planningArea.txt").read_text(encoding="utf-8")
    rows = [[float(v) for v in re.findall(r"<value>\s*([-\d.eE]+)\s*</value>", block)]
            for block in re.findall(r"<vector[^>]*>(.*?)</vector>", text, re.S)]
    return pd.DataFrame(rows, columns=["lon", "lat", *GROUPS])


def load_2020() -> pd.DataFrame:
    sz = pd.read_csv(DATA / "sg_census2020_ethnic_by_subzone.csv")
    sz["indians_others"] = sz["indians"] + sz["others"]
    sz["w"] = sz["total"] + 1  # population-weighted centre (+1: empty subzones still place the area)
    g = sz.groupby("planning_area")
    out = g[["chinese", "malays", "indians_others"]].sum()
    out["lon"] = g.apply(lambda f: np.average(f["centroid_lon"], weights=f["w"]), include_groups=False)
    out["lat"] = g.apply(lambda f: np.average(f["centroid_lat"], weights=f["w"]), include_groups=False)
    return out.reset_index()


def matched() -> tuple[pd.DataFrame, pd.DataFrame]:
    y15, y20 = load_2015(), load_2020()
    cos = np.cos(np.deg2rad(1.35))
    d = np.hypot((y15["lon"].to_numpy()[:, None] - y20["lon"].to_numpy()[None]) * cos,
                 y15["lat"].to_numpy()[:, None] - y20["lat"].to_numpy()[None]) * 111.2
    r, c = linear_sum_assignment(d)
    y15 = y15.iloc[r].assign(planning_area=y20["planning_area"].to_numpy()[c], km=d[r, c]).set_index(
        "planning_area")
    return y15[GROUPS + ["km"]], y20.set_index("planning_area").loc[y15.index, GROUPS]


def main() -> int:
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 1
    a, b = matched()
    print(f"{len(a)} planning areas matched; centres within {a['km'].median():.2f} km (median), "
          f"{a['km'].max():.1f} km at most")
    c15 = Counts.from_frame(a.reset_index(), GROUPS, unit="planning_area")
    c20 = Counts.from_frame(b.reset_index(), GROUPS, unit="planning_area")
    table = pd.concat([measure(c15, ["M", "H", "D"]).set_axis(["2015"]),
                       measure(c20, ["M", "H", "D"]).set_axis(["2020"])])
    print("\nIndices (M in nats):")
    print(table.T.assign(change=lambda t: t["2020"] - t["2015"]).to_string(float_format=lambda v: f"{v:.4f}"))
    shares = pd.DataFrame({"2015": a[GROUPS].sum() / a[GROUPS].to_numpy().sum(),
                           "2020": b[GROUPS].sum() / b[GROUPS].to_numpy().sum()})
    print("\nPopulation shares:")
    print(shares.to_string(float_format=lambda v: f"{v:.4f}"))
    print("\nWhy M changed (Shapley decomposition, 2015 -> 2020):")
    print(mutual_difference(a[GROUPS].to_numpy(float), b[GROUPS].to_numpy(float)).to_string(
        float_format=lambda v: f"{v:+.5f}"))
    print("\nD per group: spatial structure vs composition (PySAL's counterfactual decomposition; 2020 - 2015):")
    dec = decompose_difference(c20, c15, "dissimilarity")
    print(dec[["s1_a1", "s2_a2", "diff", "spatial", "composition"]].rename(
        columns={"s1_a1": "D 2020", "s2_a2": "D 2015"}).to_string(float_format=lambda v: f"{v:+.4f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
