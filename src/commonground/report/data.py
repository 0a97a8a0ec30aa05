"""What a report needs from one allocation, whether it is an in-memory :class:`Allocation` or a folder on disk.

:class:`AllocationData` holds the tables ``Allocation.write`` produces (summary, composition, caps, group
outcomes, the household table) plus block coordinates when there are any, so every section renders the
same way for ``commonground demo`` (results in memory) and ``commonground report DIR`` (results on disk).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commonground.errors import InputError

if TYPE_CHECKING:
    from commonground.allocate.result import Allocation

#: The files ``Allocation.write`` produces (tables as CSV, with optional Parquet twins).
ALLOCATION_TABLES = ("allocation", "composition", "caps", "groups")
ALLOCATION_FILES = ("allocation.csv", "composition.csv", "caps.csv", "groups.csv", "summary.json")

_NUMERIC = {
    "allocation": ("queue_position", "utility", "ballot_chances", "lat", "lng"),
    "composition": ("units", "count_before", "count", "share_before", "share", "cap"),
    "caps": ("share_limit", "units", "count", "max_count", "utilisation"),
    "groups": ("applicants", "allocated", "skipped", "share_housed", "welfare", "mean_utility_housed",
               "mean_utility_all"),
}
_BOOLEAN = {"caps": ("binding",)}


@dataclass
class AllocationData:
    """One allocation's tables, labelled for display."""

    label: str
    summary: dict[str, Any]
    composition: pd.DataFrame
    caps: pd.DataFrame
    groups: pd.DataFrame
    households: pd.DataFrame
    blocks: pd.DataFrame | None = None  # block_id, lat, lng (only blocks with coordinates)
    source: str = ""

    @property
    def attributes(self) -> list[str]:
        """Household attributes, in the order of the group table."""
        return list(dict.fromkeys(self.groups["attribute"].astype(str))) if len(self.groups) else []

    @property
    def has_caps(self) -> bool:
        return len(self.caps) > 0

    @classmethod
    def from_allocation(cls, label: str, allocation: Allocation) -> AllocationData:
        dev = allocation.problem.development
        blocks = None
        if dev.block_lat is not None and dev.block_lng is not None:
            blocks = _clean_coordinates(pd.DataFrame({
                "block_id": dev.block_ids.astype(str), "lat": dev.block_lat, "lng": dev.block_lng,
                "neighbourhood_id": dev.neighbourhood_ids[dev.block_neighbourhood].astype(str)}))
        return cls(label=label, summary=allocation.summary(), composition=allocation.composition(),
                   caps=allocation.cap_utilisation(), groups=allocation.group_outcomes(),
                   households=allocation.households_frame(), blocks=blocks, source="")

    @classmethod
    def from_folder(cls, folder: Path, label: str | None = None,
                    coordinate_folders: tuple[Path, ...] = ()) -> AllocationData:
        """Read a folder written by ``Allocation.write``; coordinates come from ``blocks.csv`` or
        ``inputs/flats.csv`` in ``folder`` or in ``coordinate_folders`` (first found wins)."""
        missing = [f for f in ALLOCATION_FILES if not (folder / f).is_file()
                   and not (folder / f.replace(".csv", ".parquet")).is_file()]
        if missing:
            raise InputError(f"not a complete allocation folder: missing {', '.join(missing)}", source=str(folder))
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON ({e.msg})", source=str(folder / "summary.json"), row=e.lineno) from None
        if not isinstance(summary, dict):
            raise InputError("expected a JSON object", source=str(folder / "summary.json"))
        tables = {name: read_table(folder, name) for name in ALLOCATION_TABLES}
        for name in ("reason", "status"):
            if name in tables["allocation"].columns:
                tables["allocation"][name] = tables["allocation"][name].fillna("").astype(str)
        data = cls(label=label or folder.name, summary=summary, composition=tables["composition"],
                   caps=tables["caps"], groups=tables["groups"], households=tables["allocation"],
                   source=str(folder))
        blocks_here = set(data.composition.loc[data.composition["level"] == "block", "unit_id"].astype(str))
        data.blocks = find_coordinates((folder, *coordinate_folders), blocks_here)
        if data.blocks is None and {"block_id", "lat", "lng"} <= set(data.households.columns):
            # allocation.csv carries each housed household's block position
            hh = data.households.dropna(subset=["block_id"])
            if len(hh):
                data.blocks = _clean_coordinates(hh.assign(block_id=hh["block_id"].astype(str)).groupby(
                    "block_id", as_index=False)[["lat", "lng"]].first())
        return data


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """``name``.parquet if present (types kept), else ``name``.csv with ids read as text."""
    pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    numeric = _NUMERIC.get(name, ())
    if pq.is_file():
        try:
            df = pd.read_parquet(pq)
        except Exception as e:  # a damaged twin: fall back to the CSV if there is one
            if not csv.is_file():
                raise InputError(f"cannot read Parquet ({e})", source=str(pq)) from None
        else:
            return _typed(df, numeric, _BOOLEAN.get(name, ()), pq)
    try:
        df = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read CSV ({e})", source=str(csv)) from None
    return _typed(df, numeric, _BOOLEAN.get(name, ()), csv)


def numeric_columns(df: pd.DataFrame, columns: tuple[str, ...], source: Path) -> pd.DataFrame:
    """Make ``columns`` (where present) numeric in place; a non-number is an error naming its line."""
    for c in columns:
        if c in df.columns:
            values = pd.to_numeric(df[c], errors="coerce")
            bad = values.isna() & df[c].notna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"not a number: {df[c].iloc[i]!r}", source=str(source), row=i + 2, column=c)
            df[c] = values
    return df


def _typed(df: pd.DataFrame, numeric: tuple[str, ...], boolean: tuple[str, ...], source: Path) -> pd.DataFrame:
    numeric_columns(df, numeric, source)
    for c in boolean:
        if c in df.columns and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype(str).str.lower().isin(("true", "1", "yes"))
    for c in ("unit_id", "block_id", "value", "attribute", "level", "limit"):
        if c in df.columns and not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def find_coordinates(folders: tuple[Path, ...], block_ids: set[str]) -> pd.DataFrame | None:
    """Block coordinates from the first ``blocks.csv`` (block_id, lat, lng) or ``inputs/flats.csv`` (flats with
    lat/lng, averaged per block) among ``folders`` that matches any of ``block_ids``; None if there is none."""
    for folder in folders:
        for path in (folder / "blocks.csv", folder / "inputs" / "flats.csv"):
            if not path.is_file():
                continue
            try:
                head = pd.read_csv(path, nrows=0)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
                continue
            if not {"block_id", "lat", "lng"} <= set(head.columns):
                continue
            cols = ["block_id", "lat", "lng", *(["neighbourhood_id"] if "neighbourhood_id" in head.columns else [])]
            df = pd.read_csv(path, usecols=cols, dtype={"block_id": str, "neighbourhood_id": str})
            agg = {"lat": "mean", "lng": "mean", **({"neighbourhood_id": "first"} if len(cols) > 3 else {})}
            blocks = _clean_coordinates(df.groupby("block_id", as_index=False).agg(agg))
            if blocks is not None:
                blocks = blocks[blocks["block_id"].isin(block_ids)]
                if len(blocks):
                    return blocks.reset_index(drop=True)
    return None


def _clean_coordinates(df: pd.DataFrame) -> pd.DataFrame | None:
    df = df.assign(lat=pd.to_numeric(df["lat"], errors="coerce"), lng=pd.to_numeric(df["lng"], errors="coerce"))
    df = df[np.isfinite(df["lat"]) & np.isfinite(df["lng"]) & df["lat"].between(-90, 90)
            & df["lng"].between(-180, 180)]
    return df.reset_index(drop=True) if len(df) else None
