"""Real towns from the England & Wales 2011 Census: any local authority as a simulation town.

The user brings their own copy of the published table (ONS 2011 Census KS201EW/QS201EW, usual residents by
ethnic group) by output area (``OA, Persons, WhiteBrit … GypsyTraveller[_derived], LSOA, MSOA, LAD``) or by
LSOA (``LSOA, Persons, …, MSOA, LAD``); the package ships no data. With the OA table the output areas are the
residential units ("blocks") and the LSOAs (or MSOAs) the neighbourhoods; with the LSOA table the LSOAs are
the units and the MSOAs the neighbourhoods.

Persons become households group by group: ``persons / household size`` of the group
(:data:`commonground.simulate.uk_rates.HOUSEHOLD_SIZE`, sourced where a source was found, overridable),
rounded stochastically from the town's seed. Each unit gets ``ceil(households / occupancy)`` homes, the rest
standing empty. Groups are the five ONS broad groups (default) or the 15 detailed ones.

Errors are one line naming the file, row and column: a missing file, a missing column, a value that is not a
whole number ≥ 0, a row whose groups add up to more than its persons, a repeated area code, and an unknown
authority (with the closest names, by :mod:`difflib`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.simulate.uk_rates import BROAD, BROAD_GROUPS, DETAILED, detailed_values

OA_FILE = "ew_census2011_ethnicity_oa.csv"
LSOA_FILE = "ew_census2011_ethnicity_lsoa.csv"
# Column of each detailed group in the published table (the Gypsy/Traveller column may carry a suffix).
COLUMNS = {g: g for g in DETAILED}
COLUMN_ALIASES = {"GypsyTraveller": ("GypsyTraveller", "GypsyTraveller_derived")}
CODE_COLUMNS = ("LAD_code", "LADCD", "LAD11CD")
TOWN_PREFIXES = ("england:", "wales:", "ew:", "census:")
LAD_CODE = re.compile(r"^[EW]0[6-9]\d{6}$", re.IGNORECASE)


@dataclass(frozen=True)
class CensusTable:
    """One published table, read and checked: ``unit`` is ``OA`` or ``LSOA``; ``counts`` (units × 15)."""

    path: str
    unit: str
    frame: pd.DataFrame  # unit code, LSOA (OA table only), MSOA, LAD, optional LAD code
    counts: np.ndarray   # persons per unit and detailed group (DETAILED order)

    @property
    def authorities(self) -> list[str]:
        return sorted(self.frame["LAD"].unique())


def resolve_path(path: str | Path, unit: str = "oa") -> Path:
    """A census file, or a folder holding the published file for ``unit`` (``oa`` or ``lsoa``)."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / (OA_FILE if unit == "oa" else LSOA_FILE)
    if not p.is_file():
        raise InputError("no such census file (give --census PATH to your copy of the ONS 2011 ethnic group "
                         f"table by {'output area' if unit == 'oa' else 'LSOA'})", source=str(p))
    return p


def read_census(path: str | Path, unit: str = "oa") -> CensusTable:
    """Read and check a published table (cached per file and modification time)."""
    p = resolve_path(path, unit)
    st = p.stat()
    return _read(str(p.resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _read(path: str, _mtime: int, _size: int) -> CensusTable:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", source=path) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as e:
        raise InputError(f"not a CSV table: {str(e).splitlines()[0]}", source=path) from None
    first = df.columns[0] if len(df.columns) else ""
    if first not in ("OA", "LSOA"):
        raise InputError(f"first column must be OA or LSOA (the area code), got '{first}'", source=path, row=1)
    unit = first
    need = [unit, "Persons", *[c for c in DETAILED if c != "GypsyTraveller"], "MSOA", "LAD"]
    if unit == "OA":
        need.insert(len(need) - 2, "LSOA")
    for c in need:
        if c not in df.columns:
            close = difflib.get_close_matches(c, list(df.columns), n=1)
            hint = f" (closest: '{close[0]}')" if close else ""
            raise InputError(f"missing column '{c}'{hint}", source=path, row=1, column=c)
    gypsy = next((c for c in COLUMN_ALIASES["GypsyTraveller"] if c in df.columns), None)
    if gypsy is None:
        raise InputError("missing column 'GypsyTraveller_derived'", source=path, row=1,
                         column="GypsyTraveller_derived")
    if df.empty:
        raise InputError("the table has no rows", source=path)
    cols = [c if c != "GypsyTraveller" else gypsy for c in DETAILED]
    numeric = {}
    for c in ["Persons", *cols]:
        s = df[c].str.strip()
        ok = s.str.fullmatch(r"\d+")
        if not ok.all():
            i = int(np.flatnonzero(~ok.to_numpy())[0])
            raise InputError(f"not a whole number ≥ 0: '{df[c].iloc[i]}'", source=path, row=i + 2, column=c)
        numeric[c] = s.astype(np.int64).to_numpy()
    counts = np.column_stack([numeric[c] for c in cols])
    over = counts.sum(axis=1) > numeric["Persons"]
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(f"ethnic groups add up to {int(counts[i].sum())}, more than Persons "
                         f"({int(numeric['Persons'][i])})", source=path, row=i + 2, column="Persons")
    dup = df[unit].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"area code '{df[unit].iloc[i]}' appears twice", source=path, row=i + 2, column=unit)
    blank = df["LAD"].str.strip() == ""
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError("empty local authority name", source=path, row=i + 2, column="LAD")
    keep = [unit, *(["LSOA"] if unit == "OA" else []), "MSOA", "LAD", *[c for c in CODE_COLUMNS if c in df.columns]]
    frame = df[keep].reset_index(drop=True)
    frame["LAD"] = frame["LAD"].str.strip()
    return CensusTable(path=path, unit=unit, frame=frame, counts=counts)


def parse_town(text: str) -> str:
    """``england:Bradford`` (or ``wales:…``, ``ew:…``, or a bare name or code) → the authority text."""
    t = text.strip()
    for p in TOWN_PREFIXES:
        if t.lower().startswith(p):
            t = t[len(p):].strip()
            break
    if not t:
        raise InputError(f"--town '{text}' names no local authority (e.g. england:Bradford)")
    return t


def resolve_authority(table: CensusTable, name: str) -> str:
    """The authority's name as the table spells it: by name (any case) or by LAD code where the table has a
    code column. An unknown name → one line with the closest names."""
    names = table.authorities
    by_lower = {n.lower(): n for n in names}
    key = name.strip().lower()
    if key in by_lower:
        return by_lower[key]
    if LAD_CODE.match(name.strip()):
        code_col = next((c for c in CODE_COLUMNS if c in table.frame.columns), None)
        if code_col is None:
            raise InputError(f"'{name}' looks like a LAD code, but the table has no code column "
                             f"({' / '.join(CODE_COLUMNS)}): give the authority's name", source=table.path)
        hit = table.frame.loc[table.frame[code_col].str.upper() == name.strip().upper(), "LAD"]
        if len(hit):
            return str(hit.iloc[0])
    close = difflib.get_close_matches(key, list(by_lower), n=3, cutoff=0.5)
    if not close:  # substring matches help with partial names ("Blackburn")
        close = [n for n in by_lower if key in n][:3]
    hint = ("did you mean: " + ", ".join(by_lower[c] for c in close)) if close else \
        f"{len(names)} authorities, e.g. {', '.join(names[:3])}"
    raise InputError(f"no local authority '{name}' in the census table ({hint})", source=table.path)


@dataclass(frozen=True)
class AuthorityCounts:
    """An authority's persons by unit and group, and its neighbourhoods."""

    name: str
    unit_ids: np.ndarray
    nbhd_of_unit: np.ndarray  # neighbourhood code per unit
    persons: np.ndarray       # (U, 15)
    national_persons: float
    national_minority: float  # persons not White British in the whole table

    @property
    def share_of_table(self) -> float:
        return float(self.persons.sum() / self.national_persons)

    @property
    def share_of_minority(self) -> float:
        return float(self.persons[:, 1:].sum() / max(self.national_minority, 1.0))


def authority_counts(path: str | Path, authority: str, *, unit: str = "oa", neighbourhood: str = "lsoa"
                     ) -> AuthorityCounts:
    table = read_census(path, unit)
    name = resolve_authority(table, authority)
    if table.unit == "LSOA" and neighbourhood != "msoa":
        neighbourhood = "msoa"  # with LSOAs as units, MSOAs are the only coarser level in the table
    m = (table.frame["LAD"] == name).to_numpy()
    col = "LSOA" if neighbourhood == "lsoa" else "MSOA"
    return AuthorityCounts(name=name, unit_ids=table.frame[table.unit].to_numpy(object)[m],
                           nbhd_of_unit=table.frame[col].to_numpy(object)[m], persons=table.counts[m],
                           national_persons=float(table.counts.sum()),
                           national_minority=float(table.counts[:, 1:].sum()))


def households_from_persons(persons: np.ndarray, sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Households per unit and group: persons / household size, rounded stochastically (unbiased), at least
    one household where a group has anyone."""
    x = persons / sizes[None, :]
    base = np.floor(x)
    hh = base + (rng.random(x.shape) < (x - base))
    return np.where((persons > 0) & (hh == 0), 1, hh).astype(np.int64)


def census_layout(path: str, authority: str, *, unit: str = "oa", neighbourhood: str = "lsoa",
                  groups: str = "broad", household_sizes: tuple[tuple[str, float], ...] = (),
                  occupancy: float = 0.97, seed: int = 2011, start: str = "2011"):
    """The authority as a :class:`~commonground.simulate.town.Layout` (cached per process).

    ``start = "well-mixed"`` keeps the homes and the group totals but places the households at random across
    all homes (the back-test's start: can the model grow 2011's segregation from nothing?)."""
    return _layout(str(path), authority, unit, neighbourhood, groups, tuple(household_sizes), float(occupancy),
                   int(seed), start)


@lru_cache(maxsize=16)
def _layout(path, authority, unit, neighbourhood, groups, sizes, occupancy, seed, start="2011"):
    from commonground.simulate.town import Layout

    ac = authority_counts(path, authority, unit=unit, neighbourhood=neighbourhood)
    size = np.array([detailed_values("household_size", dict(sizes))[g] for g in DETAILED])
    if (size <= 0).any():
        raise InputError("household sizes must be > 0")
    rng = np.random.default_rng([seed, 13])
    hh = households_from_persons(ac.persons, size, rng)
    if groups == "broad":
        names = BROAD_GROUPS
        agg = np.zeros((len(DETAILED), len(names)), np.int64)
        for i, g in enumerate(DETAILED):
            agg[i, names.index(BROAD[g])] = 1
        hh = hh @ agg
    else:
        names = DETAILED
    total = hh.sum(axis=1)
    keep = total > 0
    hh, total, unit_ids, nb = hh[keep], total[keep], ac.unit_ids[keep], ac.nbhd_of_unit[keep]
    homes = np.ceil(total / occupancy).astype(np.int64)
    G = len(names)
    M = np.column_stack([hh, homes - total])
    codes = np.tile(np.r_[np.arange(G), -1], len(homes))
    resident = np.repeat(codes, M.ravel()).astype(np.int64)
    if start == "well-mixed":
        resident = rng.permutation(resident)
    nbhd_ids, block_nbhd = np.unique(nb.astype(str), return_inverse=True)
    shares = hh.sum(axis=0).astype(float)
    return Layout(groups=tuple(names), shares=shares / shares.sum(), block_ids=unit_ids.astype(object),
                  nbhd_ids=nbhd_ids.astype(object), block_nbhd=block_nbhd.astype(np.int64), block_homes=homes,
                  resident=resident, launch_year=np.zeros(len(homes), np.int64))


def town_groups(groups: str) -> tuple[str, ...]:
    return BROAD_GROUPS if groups == "broad" else DETAILED


def check_town(path: str, authority: str, unit: str = "oa") -> str:
    """Read the table and resolve the authority now (before any run): its name as the table spells it."""
    return resolve_authority(read_census(path, unit), authority)
