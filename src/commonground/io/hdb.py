"""Loader for data.gov.sg *HDB Property Information* (one row per HDB block), in its published form.

Turns a town's residential blocks into a :class:`Development` with one flat per dwelling unit, flat types
from the per-type counts. HDB's property file has no neighbourhood column; by default the neighbourhood is
the town plus the hundreds digit of the block number (HDB numbers new-town blocks by neighbourhood: blocks
1xx are in neighbourhood 1, 2xx in 2, …); ``neighbourhood="street"`` uses the street instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.io.tables import read_table
from commonground.model.development import Development

#: data.gov.sg ``bldg_contract_town`` codes → town names.
TOWNS = {
    "AMK": "Ang Mo Kio", "BB": "Bukit Batok", "BD": "Bedok", "BH": "Bishan", "BM": "Bukit Merah",
    "BP": "Bukit Panjang", "BT": "Bukit Timah", "CCK": "Choa Chu Kang", "CL": "Clementi", "CT": "Central Area",
    "GL": "Geylang", "HG": "Hougang", "JE": "Jurong East", "JW": "Jurong West", "KWN": "Kallang/Whampoa",
    "MP": "Marine Parade", "PG": "Punggol", "PRC": "Pasir Ris", "QT": "Queenstown", "SB": "Sembawang",
    "SGN": "Serangoon", "SK": "Sengkang", "TAP": "Tampines", "TG": "Tengah", "TP": "Toa Payoh", "WL": "Woodlands",
    "YS": "Yishun",
}
ROOM_COLUMNS = {
    "1room_sold": "1-room", "2room_sold": "2-room", "3room_sold": "3-room", "4room_sold": "4-room",
    "5room_sold": "5-room", "exec_sold": "Executive", "multigen_sold": "Multi-generation",
    "studio_apartment_sold": "Studio", "1room_rental": "1-room rental", "2room_rental": "2-room rental",
    "3room_rental": "3-room rental", "other_room_rental": "Other rental",
}
REQUIRED = ("blk_no", "street", "bldg_contract_town", "total_dwelling_units", "residential", "max_floor_lvl")


def block_number(blk_no: str) -> int:
    """The leading number of an HDB block number (``"123A"`` → 123; none → 0): blocks 100–199 of a town form
    one neighbourhood-sized group."""
    digits = re.match(r"\d*", blk_no)
    return int(digits.group()) if digits and digits.group() else 0


def read_hdb_property_information(path: str | Path) -> pd.DataFrame:
    """Read and check HDB's published property-information CSV (data.gov.sg).

    Parameters
    ----------
    path : str or Path
        The CSV as published.

    Returns
    -------
    pandas.DataFrame
        One row per block; dwelling-unit counts and ``max_floor_lvl`` as integers.

    Raises
    ------
    InputError
        A missing column or a count that is not a whole number >= 0, naming the line.
    """
    df = read_table(path, required=REQUIRED)
    for c in ("total_dwelling_units", "max_floor_lvl", *[c for c in ROOM_COLUMNS if c in df.columns]):
        s = pd.to_numeric(df[c], errors="coerce")
        bad = s.isna() | (s < 0) | (s != s.round())
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"'{df[c].iloc[i]}' is not a whole number ≥ 0", source=str(path), row=i + 2, column=c)
        df[c] = s.astype(np.int64)
    return df


def development_from_hdb(blocks: pd.DataFrame, *, town: str | None = None, neighbourhood: str = "hundreds",
                         occupant_shares: Mapping[str, float] | None = None, occupied_share: float = 0.0,
                         attribute: str = "ethnicity", seed: int = 0, source: str = "HDB property information"
                         ) -> Development:
    """One flat per dwelling unit of each residential block (of ``town``, a code such as ``TAP``).

    ``occupied_share`` of the flats (drawn at random) get existing occupants whose ``attribute`` is drawn
    from ``occupant_shares``; the rest are vacant. Latitude/longitude columns, where present, are kept.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`read_hdb_property_information`.
    town : str, optional
        Town code (``TAP``) or name; ``None``: every town.
    neighbourhood : {"hundreds", "street"}, optional
        Neighbourhood = town plus the block number's hundreds digit, or town plus street.
    occupant_shares : mapping of str to float, optional
        Share of each ``attribute`` value among existing occupants.
    occupied_share : float, optional
        Share of flats already occupied (0: all vacant).
    attribute : str, optional
        Name of the occupants' attribute.
    seed : int, optional
        Seed of the draw of occupied flats and their occupants.
    source : str, optional
        Name used in error messages.

    Returns
    -------
    Development
        One flat per dwelling unit.

    Raises
    ------
    InputError
        Unknown town, no (residential) blocks for it, or an unknown ``neighbourhood``.
    """
    df = blocks
    if town is not None:
        code = _town_code(town)
        df = df[df["bldg_contract_town"].astype(str).str.upper() == code]
        if df.empty:
            raise InputError(f"no blocks for town '{town}'", source=source)
    df = df[(df["residential"].astype(str).str.upper() == "Y") & (df["total_dwelling_units"] > 0)]
    if df.empty:
        raise InputError("no residential blocks with dwelling units", source=source)
    df = df.reset_index(drop=True)
    town_col = df["bldg_contract_town"].astype(str)
    block_id = town_col + " " + df["blk_no"].astype(str) + " " + df["street"].astype(str)
    if neighbourhood == "street":
        nbhd = town_col + " " + df["street"].astype(str)
    elif neighbourhood == "hundreds":
        digits = df["blk_no"].astype(str).map(block_number)
        nbhd = town_col + " N" + (digits // 100).astype(str)
    else:
        raise InputError(f"neighbourhood must be 'hundreds' or 'street', got '{neighbourhood}'", source=source)
    units = df["total_dwelling_units"].to_numpy(np.int64)
    room_cols = [c for c in ROOM_COLUMNS if c in df.columns]
    types = np.empty(int(units.sum()), dtype=object)
    pos = 0
    for i, n in enumerate(units):
        counts = df.loc[i, room_cols].to_numpy(np.int64) if room_cols else np.zeros(0, np.int64)
        t = np.repeat([ROOM_COLUMNS[c] for c in room_cols], counts)
        t = np.concatenate([t, np.full(max(n - len(t), 0), "unknown")])[:n]
        types[pos:pos + n] = t
        pos += n
    rep = np.repeat(np.arange(len(df)), units)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(units) - units, units)
    floors = df["max_floor_lvl"].to_numpy(np.int64)
    flats = pd.DataFrame({
        "flat_id": block_id.to_numpy(object)[rep] + " #" + (within + 1).astype(str),
        "block_id": block_id.to_numpy(object)[rep],
        "neighbourhood_id": nbhd.to_numpy(object)[rep],
        "flat_type": types,
        "floor": 1 + within % np.maximum(floors[rep], 1),
    })
    for a, b in (("lat", "lat"), ("lng", "lng")):
        if b in df.columns:
            flats[a] = pd.to_numeric(df[b], errors="coerce").replace(0.0, np.nan).to_numpy()[rep]
    if occupied_share > 0:
        if not occupant_shares:
            raise InputError("occupied_share > 0 needs occupant_shares", source=source)
        rng = np.random.default_rng(seed)
        occ = rng.random(len(flats)) < occupied_share
        groups = list(occupant_shares)
        p = np.array([occupant_shares[g] for g in groups], float)
        vals = np.array(groups, dtype=object)[rng.choice(len(groups), size=len(flats), p=p / p.sum())]
        flats["occupant_" + attribute] = np.where(occ, vals, np.array(None, dtype=object))
    return Development.from_frame(flats, source=source)


def _town_code(town: str) -> str:
    t = town.strip().upper()
    if t in TOWNS:
        return t
    by_name = {v.upper(): k for k, v in TOWNS.items()}
    if t in by_name:
        return by_name[t]
    raise InputError(f"unknown HDB town '{town}' (codes: {', '.join(sorted(TOWNS))})")
