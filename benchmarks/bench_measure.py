"""Measurement indices: commonground against PySAL ``segregation``, measured in the same run.

1. Every core aspatial index (7 single-group indices x 15 groups + 10 multigroup/diversity indices) for each of
   the 348 local authorities of England & Wales, from all 181,408 output areas of the 2011 census.
   commonground: ``Counts.from_frame(..., by="LAD")`` + ``measure``; PySAL: one index object per LAD, group and
   index (its ``batch`` helpers loop the same way). The two tables are checked equal to 1e-9.
2. A kernel-smoothed (egohood) index -- dissimilarity D of one group and Theil's H, triangular kernel -- at
   ~10^4 units (the 9,943 residential HDB blocks of Singapore, real coordinates; groups = flat types) and
   10^5 units (real E&W output-area counts at synthetic jittered-grid locations: the shared data have no
   output-area coordinates). PySAL: ``Dissim(gdf, g, total, distance=bw)``, ``MultiInfoTheory(gdf, groups,
   distance=bw)``; commonground: ``smooth(..., convention="pysal")`` then the index, values checked equal.

Run: ``.venv/bin/python benchmarks/bench_measure.py`` (about 5-10 minutes, mostly PySAL);
``--quick`` times PySAL on 40 LADs and extrapolates, and skips PySAL at 10^5 units;
``--readme`` rewrites the "## Measurement indices" section of benchmarks/README.md with the figures;
``--new`` runs only issue 14's indices (``bench_measure_new.py``: every new index against PySAL in one run,
and the whole England & Wales table with every registered aspatial index).
Reads ../shared/data beside the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from timing import best_of

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
README = REPO / "benchmarks" / "README.md"
SECTION = "## Measurement indices"

EW_GROUPS = ["WhiteBrit", "Irish", "OtherWhite", "Mixed", "Indian", "Pakistani", "Bangladeshi", "Chinese",
             "OtherAsian", "BlkAfrican", "BlkCaribbean", "OtherBlk", "Arab", "Other", "GypsyTraveller_derived"]


# -- 1. whole-country aspatial table ----------------------------------------------------------------------------
def pysal_table(oa: pd.DataFrame, lads: list[str]) -> pd.DataFrame:
    from segregation import multigroup as sm
    from segregation import singlegroup as ss

    single = {"dissimilarity": ss.Dissim, "gini": ss.Gini, "isolation": ss.Isolation, "exposure": ss.Interaction,
              "entropy": ss.Entropy, "atkinson": ss.Atkinson, "correlation_ratio": ss.CorrelationR}
    multi = {"multi_dissimilarity": sm.MultiDissim, "theil_h": sm.MultiInfoTheory, "multi_gini": sm.MultiGini,
             "normalized_exposure": sm.MultiNormExposure, "squared_cv": sm.MultiSquaredCoefVar,
             "relative_diversity": sm.MultiRelativeDiversity, "divergence": sm.MultiDivergence,
             "entropy_diversity": sm.MultiDiversity, "simpson_interaction": sm.SimpsonsInteraction,
             "simpson_concentration": sm.SimpsonsConcentration}
    rows = {}
    for lad, frame in oa[oa["LAD"].isin(lads)].groupby("LAD"):
        row = {name: cls(frame, EW_GROUPS).statistic for name, cls in multi.items()}
        for name, cls in single.items():
            for g in EW_GROUPS:
                row[f"{name}[{g}]"] = cls(frame, g, "Persons").statistic
        rows[lad] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def bench_country(oa: pd.DataFrame, quick: bool) -> dict[str, object]:
    from commonground.measure import Counts, measure

    def ours() -> pd.DataFrame:
        return measure(Counts.from_frame(oa, EW_GROUPS, total="Persons", by="LAD", unit="OA"))

    ours()  # compile the Numba kernel (cached on disk afterwards) before timing
    t_ours, table = best_of(ours, 5)
    lads = sorted(oa["LAD"].unique())
    sample = lads if not quick else list(np.random.default_rng(0).choice(lads, 40, replace=False))
    pysal_table(oa[oa["LAD"] == "Adur"], ["Adur"])  # PySAL's Gini compiles with Numba on first use
    t = time.perf_counter()
    ref = pysal_table(oa, sample)
    t_pysal = time.perf_counter() - t
    units_sample = int(oa["LAD"].isin(sample).sum())
    # a rough extrapolation when sampling: PySAL's time is mostly per-object overhead that grows with the
    # units of each LAD (its O(n^2) Gini adds a little more for the largest), so scale by units
    t_pysal_all = t_pysal * len(oa) / units_sample if quick else t_pysal
    ours_cmp = table.loc[ref.index, ref.columns]
    diff = np.nanmax(np.abs(ours_cmp.to_numpy() - ref.to_numpy()))
    nan_ours, nan_ref = np.isnan(ours_cmp.to_numpy()), np.isnan(ref.to_numpy())
    return {"t_ours": t_ours, "t_pysal": t_pysal_all, "t_pysal_measured": t_pysal, "lads": len(sample),
            "units_sample": units_sample, "quick": quick, "max_diff": float(diff),
            "nan_only_pysal": int((nan_ref & ~nan_ours).sum()), "nan_only_ours": int((nan_ours & ~nan_ref).sum()),
            "cells": int(table.size), "regions": table.shape[0]}


# -- 2. kernel-smoothed index -----------------------------------------------------------------------------------
def hdb_blocks() -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Singapore's residential HDB blocks (2020) with flat-type counts, projected to SVY21 (metres)."""
    from pyproj import Transformer

    h = pd.read_csv(DATA / "sg_hdb_property_information_geocoded_2020.csv")
    h = h[(h["residential"] == "Y") & (h["lat"] > 0) & (h["total_dwelling_units"] > 0)].reset_index(drop=True)
    frame = pd.DataFrame({
        "room_1_2": h["1room_sold"] + h["2room_sold"],
        "room_3": h["3room_sold"],
        "room_4": h["4room_sold"],
        "room_5_exec": h["5room_sold"] + h["exec_sold"] + h["multigen_sold"] + h["studio_apartment_sold"],
        "rental": h["1room_rental"] + h["2room_rental"] + h["3room_rental"] + h["other_room_rental"],
    })
    x, y = Transformer.from_crs(4326, 3414, always_xy=True).transform(h["lng"].to_numpy(), h["lat"].to_numpy())
    return frame, np.c_[x, y], list(frame.columns)


def synthetic_oas(oa: pd.DataFrame, n: int, spacing: float = 150.0) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """The first ``n`` real output areas' counts on a jittered square grid (synthetic locations)."""
    side = int(np.ceil(np.sqrt(n)))
    rng = np.random.default_rng(2011)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.c_[gx.ravel()[:n], gy.ravel()[:n]] * spacing + rng.uniform(-spacing / 3, spacing / 3, (n, 2))
    groups = ["WhiteBrit", "OtherWhite", "Indian", "Pakistani", "BlkAfrican"]
    frame = oa.iloc[:n][groups].reset_index(drop=True)
    frame["total"] = oa.iloc[:n]["Persons"].to_numpy()
    return frame, xy, groups


def bench_kernel(frame: pd.DataFrame, xy: np.ndarray, groups: list[str], bandwidth: float, group: str,
                 total: str | None, run_pysal: bool, crs: int) -> dict[str, object]:
    from commonground.measure import Counts, dissimilarity, smooth, theil_h

    c = Counts.from_frame(frame, groups, total=total)

    def ours_d() -> float:
        return float(dissimilarity(smooth(c, xy, bandwidth, convention="pysal")).loc["all", group])

    def ours_h() -> float:
        return float(theil_h(smooth(c, xy, bandwidth, convention="pysal")).loc["all"])

    t_ours_d, d = best_of(ours_d)
    t_ours_h, h = best_of(ours_h)
    sm = smooth(c, xy, bandwidth)
    from commonground.measure import kernel_weights
    neighbours = (kernel_weights(xy, bandwidth).getnnz() - len(xy)) / len(xy)
    out = {"units": len(frame), "bandwidth": bandwidth, "neighbours": neighbours, "t_ours_d": t_ours_d,
           "t_ours_h": t_ours_h, "d": d, "h": h, "smooth_ok": bool(np.isfinite(sm.x).all())}
    if run_pysal:
        import geopandas as gpd
        from segregation.multigroup import MultiInfoTheory
        from segregation.singlegroup import Dissim

        gdf = gpd.GeoDataFrame(frame.copy(), geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
        tot = total or "_total"
        if total is None:
            gdf[tot] = frame[groups].sum(axis=1)
        t = time.perf_counter()
        d_ref = Dissim(gdf, group, tot, distance=bandwidth).statistic
        out["t_pysal_d"] = time.perf_counter() - t
        t = time.perf_counter()
        h_ref = MultiInfoTheory(gdf, groups, distance=bandwidth).statistic
        out["t_pysal_h"] = time.perf_counter() - t
        out["diff"] = max(abs(d - d_ref), abs(h - h_ref))
    return out


# -- report ---------------------------------------------------------------------------------------------------------
def markdown(country: dict, kernels: list[dict], load: str) -> str:
    c = country
    ratio = c["t_pysal"] / c["t_ours"]
    pysal_note = (f"{c['t_pysal']:.1f} s" if not c["quick"] else
                  f"~{c['t_pysal']:.0f} s (extrapolated from {c['lads']} LADs "
                  f"measured in {c['t_pysal_measured']:.1f} s)")
    lines = [
        SECTION,
        "",
        "`benchmarks/bench_measure.py` — peer: PySAL `segregation` 2.5 in the same run, same data, values checked.",
        "",
        "**Whole-country aspatial table.** All 181,408 England & Wales 2011 output areas, 15 ethnic groups, "
        f"one row per local authority ({c['regions']}): 7 single-group indices × 15 groups + 10 multigroup and "
        f"diversity indices = {c['cells']:,} values, from the loaded census table (Counts built inside the timing).",
        "",
        "| | time | |",
        "|---|---:|---:|",
        f"| commonground `measure(Counts.from_frame(..., by=\"LAD\"))` | **{c['t_ours']:.2f} s** | |",
        f"| PySAL, one index object per LAD × group × index | {pysal_note} | |",
        f"| speed-up | **{ratio:,.0f}×** | goal ≥ 20×, < 1 s |",
        "",
        f"Largest difference between the two tables where both have a value: {c['max_diff']:.1e}. Where a "
        "group has nobody in a local authority (9 group × authority pairs, in 3 authorities) the two "
        f"deliberately differ (docs/measure.md): PySAL gives NaN in {c['nan_only_pysal']} cells where "
        "commonground has a value (Theil's H, C, entropy diversity: commonground drops absent groups), and 0 "
        f"in {c['nan_only_ours']} cells where commonground gives NaN (isolation, exposure, entropy, "
        "correlation ratio of the absent group).",
        "",
        "**Kernel-smoothed (egohood) index**, triangular kernel, PySAL's conventions (own weight 1, rounded "
        "counts) so the values can be checked equal. Time includes building the kernel weights.",
        "",
        "| units | data | bandwidth | neighbours / unit | index | commonground | PySAL | speed-up |",
        "|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    for k in kernels:
        for idx, key in (("D", "d"), ("Theil H", "h")):
            tp, to = k.get(f"t_pysal_{key}"), k[f"t_ours_{key}"]
            pysal = f"{tp:.1f} s" if tp else "not run"
            speed = f"{tp / to:,.0f}×" if tp else ""
            lines.append(f"| {k['units']:,} | {k['label']} | {k['bandwidth']:.0f} m | {k['neighbours']:.0f} | "
                         f"{idx} | {to:.3f} s | {pysal} | {speed} |")
    diffs = [k["diff"] for k in kernels if "diff" in k]
    lines += [
        "",
        f"Largest difference from PySAL across the kernel runs: {max(diffs):.1e}." if diffs else "",
        "The 10^5 case places real output-area counts on a jittered 150 m grid: the shared data have no "
        "output-area coordinates.",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average at start {load}. Best of 5 (commonground) or single runs "
        "(PySAL); Numba compilation (ours ~2 s once, cached on disk; PySAL's Gini ~20 s per dtype) excluded.",
        "",
    ]
    return "\n".join(line for line in lines if line is not None)


def write_section(text: str) -> None:
    old = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[nxt + 1:] if nxt >= 0 else "")
    README.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="PySAL on a 40-LAD sample; skip PySAL at 10^5 units")
    ap.add_argument("--readme", action="store_true", help="rewrite this section of benchmarks/README.md")
    ap.add_argument("--new", action="store_true", help="only issue 14's indices (bench_measure_new.py)")
    args = ap.parse_args()
    if args.new:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_measure_new import main as new_main

        return new_main(args.readme)
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 1
    warnings.filterwarnings("ignore")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    oa = pd.read_csv(DATA / "ew_census2011_ethnicity_oa.csv")
    country = bench_country(oa, args.quick)
    print(f"country: ours {country['t_ours']:.3f}s  pysal {country['t_pysal']:.1f}s  "
          f"x{country['t_pysal'] / country['t_ours']:.0f}  maxdiff {country['max_diff']:.1e}", flush=True)
    kernels = []
    frame, xy, groups = hdb_blocks()
    k = bench_kernel(frame, xy, groups, 500.0, "rental", None, True, 3414)
    k["label"] = "Singapore HDB blocks (real)"
    kernels.append(k)
    print(f"kernel 10^4: {k}", flush=True)
    frame, xy, groups = synthetic_oas(oa, 100_000)
    k = bench_kernel(frame, xy, groups, 500.0, "Pakistani", "total", not args.quick, 27700)
    k["label"] = "E&W OA counts, synthetic grid"
    kernels.append(k)
    print(f"kernel 10^5: {k}", flush=True)
    text = markdown(country, kernels, load)
    print(text)
    if args.readme:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
