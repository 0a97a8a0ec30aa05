"""Issue 14's indices against PySAL ``segregation`` in the same run: speed-up and equality, one row each.

Run by ``benchmarks/bench_measure.py --new`` (or on its own: ``.venv/bin/python benchmarks/bench_measure_new.py
[--readme]``). Data: the Sacramento 2000 tracts with their real polygons (projected to UTM 10N) for the spatial
indices, 8 England & Wales local authorities' output areas for the aspatial ones, and the whole England &
Wales table (181,408 output areas, 348 authorities) with every registered aspatial index.

Both sides start from the same inputs: PySAL from a GeoDataFrame (it computes centroids, areas and boundary
weights inside each call), commonground from the same GeoDataFrame -- its timing includes
``unit_geometry`` / ``shared_boundaries`` -- and computes all groups in one call where PySAL needs one call
per group (PySAL's time is the sum over the groups). Best of 15 for commonground; PySAL best of 3 where one
run takes under 0.5 s, else one run (so that neither side's figure is a run the scheduler interrupted).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from timing import best_of

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
README = REPO / "benchmarks" / "README.md"
SECTION = "## Measurement indices: spatial, evenness, profiles, change (issue 14)"
SAC_GROUPS = ["WHITE_", "BLACK_", "ASIAN_", "HISP_"]
EW_GROUPS = ["WhiteBrit", "Irish", "OtherWhite", "Mixed", "Indian", "Pakistani", "Bangladeshi", "Chinese",
             "OtherAsian", "BlkAfrican", "BlkCaribbean", "OtherBlk", "Arab", "Other", "GypsyTraveller_derived"]
EW_LADS = ["City of London", "Adur", "Rutland", "Tower Hamlets", "Slough", "Leicester", "Copeland", "Oldham"]


def once(f: Callable[[], object]) -> tuple[float, object]:
    """One run; best of 3 if it took under 0.5 s (a few-ms call is easily stretched by another process)."""
    t = time.perf_counter()
    out = f()
    took = time.perf_counter() - t
    if took < 0.5:
        took = min(took, best_of(f, 2)[0])
    return took, out


def _row(name: str, data: str, ours: Callable[[], object], pysal: Callable[[], object],
         values: Callable[[object, object], float] | None,
         prepared: Callable[[], object] | None = None) -> dict[str, object]:
    ours()  # warm (Numba compilation, imports)
    t_ours, v_ours = best_of(ours, 15)
    t_prep = best_of(prepared, 15)[0] if prepared is not None else float("nan")
    t_pysal, v_pysal = once(pysal)
    diff = values(v_ours, v_pysal) if values else float("nan")
    print(f"{name:40s} ours {t_ours * 1e3:9.2f} ms (prepared {t_prep * 1e3:7.2f})  pysal {t_pysal * 1e3:10.1f} ms  "
          f"x{t_pysal / t_ours:8.0f}  diff {diff:.1e}", flush=True)
    return {"index": name, "data": data, "t_ours": t_ours, "t_pysal": t_pysal, "diff": diff, "t_prep": t_prep}


def _maxdiff(a: object, b: object) -> float:
    return float(np.nanmax(np.abs(np.asarray(a, dtype=float).ravel() - np.asarray(b, dtype=float).ravel())))


def run() -> tuple[list[dict[str, object]], dict[str, float]]:
    import geopandas as gpd
    import libpysal
    from segregation import local as sl
    from segregation import multigroup as sm
    from segregation import singlegroup as ss
    from segregation.decomposition import DecomposeSegregation
    from segregation.dynamics import compute_multiscalar_profile

    from commonground.measure import Counts, geo, measure
    from commonground.measure import boundary as bd
    from commonground.measure import evenness as ev
    from commonground.measure import explicit as ex
    from commonground.measure import profiles as pr
    from commonground.measure.compare import decompose_difference

    sac = pd.read_csv(DATA / "us_sacramento_tracts_2000.csv")
    gdf = gpd.read_file(DATA / "sacramento_shp").to_crs(26910)
    for g in [*SAC_GROUPS, "TOT_POP"]:
        gdf[g] = sac[g].to_numpy()
    c = Counts.from_frame(sac, SAC_GROUPS, total="TOT_POP", unit="POLYID")
    cm = Counts.from_frame(sac, SAC_GROUPS, unit="POLYID")
    queen = libpysal.weights.Queen.from_dataframe(gdf, use_index=False)
    edges = pd.read_csv(DATA / "us_sacramento_tracts_2000_queen_contiguity_edges.csv")
    sac_label = "Sacramento, 403 tracts x 4 groups"

    def per_group(cls: type, **kw: object) -> Callable[[], list[float]]:
        return lambda: [cls(gdf, g, "TOT_POP", **kw).statistic for g in SAC_GROUPS]

    ready = geo.unit_geometry(gdf)
    _ = (ready.coords, ready.areas, ready.perimeters)  # computed once, as a session would
    lengths = geo.shared_boundaries(gdf, unit="POLYID")

    def geom_then(f: Callable[..., object], prepared: bool = False) -> Callable[[], object]:
        def go() -> object:
            out = f(ready if prepared else geo.unit_geometry(gdf))
            if isinstance(out, pd.DataFrame) and "all" in out.index:
                return out.loc["all"].to_numpy()
            return np.asarray(out)
        return go

    rows = [
        _row("absolute_centralization", sac_label,
             geom_then(lambda u: ex.absolute_centralization(c, u.coords, u.areas)),
             per_group(ss.AbsoluteCentralization), _maxdiff,
             prepared=geom_then(lambda u: ex.absolute_centralization(c, u.coords, u.areas), True)),
        _row("relative_centralization", sac_label, geom_then(lambda u: ex.relative_centralization(c, u.coords)),
             per_group(ss.RelativeCentralization), _maxdiff,
             prepared=geom_then(lambda u: ex.relative_centralization(c, u.coords), True)),
        _row("absolute_concentration", sac_label, geom_then(lambda u: ex.absolute_concentration(c, u.areas)),
             per_group(ss.AbsoluteConcentration), _maxdiff,
             prepared=geom_then(lambda u: ex.absolute_concentration(c, u.areas), True)),
        _row("relative_concentration", sac_label, geom_then(lambda u: ex.relative_concentration(c, u.areas)),
             per_group(ss.RelativeConcentration), _maxdiff,
             prepared=geom_then(lambda u: ex.relative_concentration(c, u.areas), True)),
        _row("delta", sac_label, geom_then(lambda u: ex.delta(c, u.areas)), per_group(ss.Delta), _maxdiff,
             prepared=geom_then(lambda u: ex.delta(c, u.areas), True)),
        _row("absolute_clustering (pysal convention)", sac_label,
             geom_then(lambda u: ex.absolute_clustering(c, u.coords, u.areas, convention="pysal")),
             per_group(ss.AbsoluteClustering), _maxdiff,
             prepared=geom_then(lambda u: ex.absolute_clustering(c, u.coords, u.areas, convention="pysal"), True)),
        _row("relative_clustering (pysal convention)", sac_label,
             geom_then(lambda u: ex.relative_clustering(c, u.coords, u.areas, convention="pysal")),
             per_group(ss.RelativeClustering), _maxdiff,
             prepared=geom_then(lambda u: ex.relative_clustering(c, u.coords, u.areas, convention="pysal"), True)),
        _row("boundary_dissimilarity (incl. boundary lengths)", sac_label,
             lambda: bd.boundary_dissimilarity(c, geo.shared_boundaries(gdf, unit="POLYID"),
                                               standardize=True).loc["all"].to_numpy(),
             per_group(ss.BoundarySpatialDissim, standardize=True), _maxdiff,
             prepared=lambda: bd.boundary_dissimilarity(c, lengths, standardize=True)),
        _row("par_dissimilarity (incl. boundary lengths)", sac_label,
             lambda: (lambda u: bd.par_dissimilarity(c, geo.shared_boundaries(gdf, unit="POLYID"), u.perimeters,
                                                     u.areas).loc["all"].to_numpy())(geo.unit_geometry(gdf)),
             per_group(ss.PARDissim), _maxdiff,
             prepared=lambda: bd.par_dissimilarity(c, lengths, ready.perimeters, ready.areas)),
        _row("spatial_proximity_profile", sac_label,
             lambda: bd.spatial_proximity_profile(c, edges).loc["all"].to_numpy(),
             per_group(ss.SpatialProxProf, w=queen), _maxdiff),
        _row("local_relative_centralization", sac_label,
             geom_then(lambda u: pr.local_relative_centralization(c, u.coords).to_numpy()),
             lambda: np.column_stack([sl.LocalRelativeCentralization(gdf, g, "TOT_POP").statistics
                                      for g in SAC_GROUPS]), _maxdiff,
             prepared=geom_then(lambda u: pr.local_relative_centralization(c, u.coords).to_numpy(), True)),
        _row("local_distortion", sac_label, geom_then(lambda u: pr.local_distortion(cm, u.coords).to_numpy()),
             lambda: sl.LocalDistortion(gdf, SAC_GROUPS).statistics.to_numpy(), _maxdiff,
             prepared=geom_then(lambda u: pr.local_distortion(cm, u.coords).to_numpy(), True)),
        _row("global_distortion", sac_label, geom_then(lambda u: pr.global_distortion(cm, u.coords).to_numpy()),
             lambda: sm.GlobalDistortion(gdf, SAC_GROUPS).statistic, _maxdiff,
             prepared=geom_then(lambda u: pr.global_distortion(cm, u.coords).to_numpy(), True)),
        _row("multiscalar_profile (D, 0 + 3 bandwidths)", sac_label,
             geom_then(lambda u: pr.multiscalar_profile(c, u.coords, [1000, 2500, 5000], "dissimilarity")[
                 SAC_GROUPS].to_numpy()),
             lambda: np.column_stack([compute_multiscalar_profile(
                 gdf, ss.Dissim, group_pop_var=g, total_pop_var="TOT_POP", distances=[1000, 2500, 5000]).to_numpy()
                 for g in SAC_GROUPS]), _maxdiff,
             prepared=geom_then(lambda u: pr.multiscalar_profile(c, u.coords, [1000, 2500, 5000], "dissimilarity")[
                 SAC_GROUPS].to_numpy(), True)),
    ]
    ew = pd.read_csv(DATA / "ew_census2011_ethnicity_oa.csv")
    sub = ew[ew["LAD"].isin(EW_LADS)]
    ce = Counts.from_frame(sub, EW_GROUPS, total="Persons", by="LAD", unit="OA")
    ew_label = f"E&W, {len(sub):,} OAs in 8 authorities x 15 groups"

    def pysal_ew(cls: type) -> Callable[[], np.ndarray]:
        return lambda: np.array([[cls(f, g, "Persons").statistic for g in EW_GROUPS]
                                 for _, f in sub.groupby("LAD")])

    rows += [
        _row("minmax", ew_label, lambda: ev.minmax(ce).to_numpy(), pysal_ew(ss.MinMax), _maxdiff),
        _row("concentration_profile", ew_label, lambda: ev.concentration_profile(ce).to_numpy(),
             pysal_ew(ss.ConProf), _maxdiff),
        # PySAL's density-corrected D runs a SciPy optimisation per unit (minutes for these 8 authorities):
        # compared on Sacramento
        _row("density_corrected_dissimilarity (pysal convention)", sac_label,
             lambda: ev.density_corrected_dissimilarity(c, convention="pysal").loc["all"].to_numpy(),
             lambda: [ss.DensityCorrectedDissim(sac, g, "TOT_POP").statistic for g in SAC_GROUPS], _maxdiff),
        _row("mutual_information (M)", ew_label, lambda: measure(ce, "M").to_numpy().ravel(),
             lambda: np.array([sm.MultiDivergence(f, EW_GROUPS).statistic for _, f in sub.groupby("LAD")]),
             _maxdiff),
    ]
    a, b = ew[ew["LAD"] == "Slough"], ew[ew["LAD"] == "Oldham"]
    two = ["WhiteBrit", "Pakistani", "Indian"]
    ca, cb = Counts.from_frame(a, two, total="Persons"), Counts.from_frame(b, two, total="Persons")
    rows.append(_row("decompose_difference (D, composition)", "Slough vs Oldham OAs x 3 groups",
                     lambda: decompose_difference(ca, cb)[["spatial", "composition"]].to_numpy(),
                     lambda: np.array([[(r := DecomposeSegregation(ss.Dissim(a, g, "Persons"),
                                                                  ss.Dissim(b, g, "Persons"))).c_s, r.c_a]
                                       for g in two]), _maxdiff))
    # the whole England & Wales table with every registered aspatial index
    from commonground.measure.table import INDICES

    def whole() -> pd.DataFrame:
        return measure(Counts.from_frame(ew, EW_GROUPS, total="Persons", by="LAD", unit="OA"))

    whole()
    t_whole, table = best_of(whole, 5)
    print(f"whole table: {t_whole:.2f} s, {table.shape}", flush=True)
    return rows, {"t_whole": t_whole, "cells": int(table.size), "indices": len(INDICES), "regions": table.shape[0]}


def markdown(rows: list[dict[str, object]], whole: dict[str, float], load: str) -> str:
    lines = [
        SECTION, "",
        "`benchmarks/bench_measure_new.py` — peer: PySAL `segregation` 2.5.4 in the same run, same inputs (PySAL "
        "from a GeoDataFrame; commonground from the same GeoDataFrame, its geometry extraction and boundary "
        "lengths inside the timing), values checked. commonground computes every group in one call; PySAL's time "
        "is the sum of its per-group calls. Best of 15 (commonground), best of 3 (PySAL, where a run takes under "
        "0.5 s) or one run (PySAL, slower ones). \"Geometry prepared\": the same index with centroids and areas "
        "already extracted (`unit_geometry` once per session, as a `Counts` is built once) -- PySAL recomputes them in "
        "every call.", "",
        "| index | data | commonground | PySAL | speed-up | commonground, geometry prepared | speed-up | "
        "largest difference |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        diff = "" if np.isnan(r["diff"]) else f"{r['diff']:.0e}"
        prep = "" if np.isnan(r["t_prep"]) else f"{r['t_prep'] * 1e3:.2f} ms"
        prep_x = "" if np.isnan(r["t_prep"]) else f"{r['t_pysal'] / r['t_prep']:,.0f}×"
        lines.append(f"| `{r['index']}` | {r['data']} | {r['t_ours'] * 1e3:.2f} ms | {r['t_pysal'] * 1e3:,.0f} ms | "
                     f"**{r['t_pysal'] / r['t_ours']:,.0f}×** | {prep} | {prep_x} | {diff} |")
    short = [f"`{r['index']}` ({r['t_pysal'] / r['t_ours']:.0f}×)" for r in rows if r["t_pysal"] / r["t_ours"] < 20]
    lines += [
        "",
        ("Below the 20× target in this run: " + ", ".join(short) + ". Clustering and distortion are O(n²) "
         "in both libraries (every pair of units), so there is less per-call overhead to remove; the geometry "
         "step (centroids and areas, about 0.3 ms for these 403 polygons) is a large share of the cheap indices' "
         "time.")
        if short else "Every index is at least 20× faster than PySAL in this run.",
        "",
        f"**Whole England & Wales table, every aspatial index.** All 181,408 output areas × 15 groups, "
        f"{whole['regions']} local authorities, all {whole['indices']} registered indices "
        f"({whole['cells']:,} values, `measure(Counts.from_frame(..., by=\"LAD\"))`): **{whole['t_whole']:.2f} s** "
        "(target ≤ 2 s).",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average at start {load} (the machine is shared: ratios are from the "
        "same run, absolute times vary).",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    old = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text.rstrip("\n") + "\n\n" + (old[nxt + 1:] if nxt >= 0 else "")
    README.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main(readme: bool = False) -> int:
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 1
    warnings.filterwarnings("ignore")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    rows, whole = run()
    text = markdown(rows, whole, load)
    print(text)
    if readme:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main("--readme" in sys.argv[1:]))
