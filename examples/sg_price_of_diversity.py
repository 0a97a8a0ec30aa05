"""Price of diversity per Singapore town, in the spirit of Benabbou et al. (AAMAS 2018), on real data.

For every HDB town: the "launch" is its most recently completed residential blocks (whole completion years, from
the newest, until at least 1,000 dwelling units; at most 4,000), one flat per dwelling unit, from HDB Property
Information (../shared/data/sg_hdb_property_information.csv, 2023 snapshot; only blocks that also appear with
coordinates in the geocoded 2020 file, so blocks completed after 2020 are left out). Applicants: one per flat
(and, in a second run, three per flat, as HDB launches are oversubscribed), ethnic
group drawn from the town's planning area in Census 2020 (sg_census2020_ethnic_by_subzone.csv; national shares
where the town has no planning area of its name). Caps: the EIP block limits of 5 March 2010
(Chinese 87 %, Malay 25 %, Indian/Others 15 %). Utility models (block-level, as the paper's tractable case):

* ``random``      — u(h, b) ~ Uniform(0, 1), independent per household and block;
* ``distance``    — u = 1 / (1 + km from the household's home subzone to the block): the home subzone is drawn
                    among the town's subzones in proportion to the household's own group's residents there
                    (Census 2020), block coordinates from the geocoded 2020 property file;
* ``homophilous`` — ``distance`` + the own group's share of the residents of the subzone nearest the block.

Reported per town and model: the price of diversity (optimal welfare without caps / with caps), the same ratio
for the ballot (mean over seeds) and the ballot's welfare as a share of the constrained optimum.
Run: ``.venv/bin/python examples/sg_price_of_diversity.py [--seeds 10] [--out docs/price_of_diversity_by_town.csv]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from commonground.analysis.welfare import price_of_diversity
from commonground.io import development_from_hdb, read_hdb_property_information
from commonground.io.hdb import TOWNS
from commonground.model import BlockUtilities, Households, Problem
from commonground.policy import Policy, load_policy

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
GROUPS = {"chinese": "Chinese", "malays": "Malay", "indians": "Indian", "others": "Others"}
#: Town names that differ from the Census planning-area names.
PLANNING_AREA = {"Kallang/Whampoa": "KALLANG", "Central Area": "DOWNTOWN CORE"}


def launch_blocks(blocks: pd.DataFrame, code: str, geocoded: set[str], min_units: int = 1000,
                  max_units: int = 4000) -> pd.DataFrame:
    """The town's newest residential blocks that have coordinates in the 2020 geocoded file: whole completion
    years from the newest until ≥ ``min_units`` dwelling units (at most ``max_units``)."""
    key = blocks["blk_no"].astype(str) + "|" + blocks["street"].astype(str)
    df = blocks[(blocks["bldg_contract_town"] == code) & (blocks["residential"] == "Y")
                & (blocks["total_dwelling_units"] > 0) & key.isin(geocoded)]
    df = df.sort_values(["year_completed", "street", "blk_no"], ascending=[False, True, True])
    years, total = [], 0
    for y, g in df.groupby("year_completed", sort=False):
        years.append(y)
        total += int(g["total_dwelling_units"].sum())
        if total >= min_units:
            break
    out = df[df["year_completed"].isin(years)]
    if out.empty:
        return out
    keep = out["total_dwelling_units"].cumsum() <= max_units
    keep.iloc[0] = True
    return out[keep].reset_index(drop=True)


def town_census(census: pd.DataFrame, name: str) -> pd.DataFrame:
    area = PLANNING_AREA.get(name, name.upper())
    sub = census[census["planning_area"] == area]
    return sub if len(sub) else census


def haversine_km(lat1, lng1, lat2, lng2):
    p = np.pi / 180
    a = (np.sin((lat2 - lat1) * p / 2) ** 2
         + np.cos(lat1 * p) * np.cos(lat2 * p) * np.sin((lng2 - lng1) * p / 2) ** 2)
    return 12742.0 * np.arcsin(np.sqrt(a))


def build(blocks: pd.DataFrame, geo: pd.DataFrame, census: pd.DataFrame, name: str, model: str,
          rng: np.random.Generator, applicants_per_flat: float = 1.0) -> Problem:
    dev = development_from_hdb(blocks)
    sub = town_census(census, name)
    counts = sub[list(GROUPS)].to_numpy(float)
    shares = counts.sum(0) / counts.sum()
    n = int(round(applicants_per_flat * int((~dev.occupied).sum())))
    g = rng.choice(len(GROUPS), n, p=shares)
    hh = Households(ids=np.array([f"A{i:05d}" for i in range(n)], dtype=object),
                    attributes={"ethnicity": np.array(list(GROUPS.values()), dtype=object)[g]})
    nb = dev.n_blocks
    if model == "random":
        U = rng.random((n, nb))
    else:
        # Block coordinates: geocoded 2020 file joined on (blk_no, street); missing → the town's centre.
        key = blocks["blk_no"].astype(str) + "|" + blocks["street"].astype(str)
        gk = geo["blk_no"].astype(str) + "|" + geo["street"].astype(str)
        coords = geo.assign(key=gk).drop_duplicates("key").set_index("key")[["lat", "lng"]]
        coords = coords[(coords["lat"] != 0) & (coords["lng"] != 0)]
        ll = coords.reindex(key).to_numpy(float)
        centre = np.array([sub["centroid_lat"].mean(), sub["centroid_lon"].mean()])
        ll[np.isnan(ll).any(1)] = centre
        # development_from_hdb orders blocks by id: "TOWN blk street" — map our rows to its block order.
        bid = (blocks["bldg_contract_town"].astype(str) + " " + blocks["blk_no"].astype(str) + " "
               + blocks["street"].astype(str)).to_numpy()
        order = pd.Index(bid).get_indexer(dev.block_ids)
        blat, blng = ll[order, 0], ll[order, 1]
        slat, slng = sub["centroid_lat"].to_numpy(float), sub["centroid_lon"].to_numpy(float)
        home = np.empty(n, dtype=np.int64)
        for j in range(len(GROUPS)):
            m = g == j
            w = counts[:, j] / counts[:, j].sum() if counts[:, j].sum() > 0 else None
            home[m] = rng.choice(len(sub), m.sum(), p=w)
        d = haversine_km(slat[home][:, None], slng[home][:, None], blat[None, :], blng[None, :])
        U = 1.0 / (1.0 + d)
        if model == "homophilous":
            nearest = np.argmin(haversine_km(blat[:, None], blng[:, None], slat[None, :], slng[None, :]), axis=1)
            local = counts[nearest] / np.maximum(counts[nearest].sum(1, keepdims=True), 1)   # blocks × groups
            U = U + local[:, g].T
    return Problem.build(dev, hh, BlockUtilities(block=U, flat_type=np.zeros((n, len(dev.flat_type_names)))))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--towns", default="", help="comma-separated town codes (default: all)")
    ap.add_argument("--ratios", type=lambda t: [float(x) for x in t.split(",")], default=[1.0, 3.0],
                    help="applicants per flat, comma-separated (default 1,3)")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "price_of_diversity_by_town.csv")
    args = ap.parse_args()
    blocks = read_hdb_property_information(DATA / "sg_hdb_property_information.csv")
    geo = pd.read_csv(DATA / "sg_hdb_property_information_geocoded_2020.csv")
    census = pd.read_csv(DATA / "sg_census2020_ethnic_by_subzone.csv")
    eip = load_policy("sg-eip-2010")
    policy = Policy(name="sg-eip-2010 block caps", caps=tuple(c for c in eip.caps if c.level == "block"),
                    rule=eip.rule, source=eip.source)
    codes = [c for c in args.towns.split(",") if c] or sorted(TOWNS)
    ok = geo[(geo["lat"] != 0) & (geo["lng"] != 0)]
    geocoded = set(ok["blk_no"].astype(str) + "|" + ok["street"].astype(str))
    rows = []
    for code in codes:
        b = launch_blocks(blocks, code, geocoded)
        if b.empty:
            continue
        name = TOWNS[code]
        for k, (model, ratio) in enumerate((m, r) for r in args.ratios for m in ("random", "distance", "homophilous")):
            t0 = time.perf_counter()
            rng = np.random.default_rng([2020, k, sum(map(ord, code))])
            problem = build(b, geo, census, name, model, rng, applicants_per_flat=ratio)
            r = price_of_diversity(problem, policy, seeds=args.seeds, attribute="ethnicity")
            s = r.summary()
            g = r.groups.set_index(["mechanism", "group"])["share_housed"]
            shares = pd.Series(problem.households.attributes["ethnicity"]).value_counts(normalize=True)
            rows.append({
                "town": name, "code": code, "model": model, "applicants_per_flat": ratio,
                "blocks": problem.development.n_blocks, "flats": s["vacant_flats"], "households": s["households"],
                "years": f"{b['year_completed'].min()}-{b['year_completed'].max()}",
                "chinese_share": shares.get("Chinese", 0.0), "malay_share": shares.get("Malay", 0.0),
                "indian_others_share": shares.get("Indian", 0.0) + shares.get("Others", 0.0),
                "pod_optimal": s["price_of_diversity"], "pod_ballot_mean": s["ballot_price_of_diversity_mean"],
                "pod_ballot_sd": s["ballot_price_of_diversity_sd"],
                "ballot_share_of_optimum": s["ballot_share_of_optimum_mean"],
                "housed_optimal": s["housed_optimal"],
                "housed_optimal_unconstrained": s["housed_optimal_unconstrained"],
                "housed_ballot_mean": s["ballot_housed_mean"],
                "malay_housed_optimal": g.get(("optimal", "Malay"), np.nan),
                "malay_housed_unconstrained": g.get(("optimal-unconstrained", "Malay"), np.nan),
                "method": s["optimal_method"].split(" (")[0], "exact": s["optimal_exact"],
                "seconds": round(time.perf_counter() - t0, 2),
            })
            print(f"{name:16s} {model:11s} x{ratio:g} flats {s['vacant_flats']:5d}  PoD {s['price_of_diversity']:.4f}  "
                  f"ballot PoD {s['ballot_price_of_diversity_mean']:.4f}  ballot/opt "
                  f"{s['ballot_share_of_optimum_mean']:.3f}  ({rows[-1]['seconds']} s)", flush=True)
    df = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False, float_format="%.6g")
    cols = ["pod_optimal", "pod_ballot_mean", "ballot_share_of_optimum"]
    print(df.groupby(["applicants_per_flat", "model"])[cols].agg(["mean", "min", "max"]).round(4).to_string())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
