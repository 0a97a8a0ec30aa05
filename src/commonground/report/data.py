"""What a report needs from one allocation, whether it is an in-memory :class:`Allocation` or a folder on disk.

:class:`AllocationData` holds the tables ``Allocation.write`` produces (summary, composition, caps, group
outcomes, the household table) plus block coordinates when there are any, so every section renders the
same way for ``commonground demo`` (results in memory) and ``commonground report DIR`` (results on disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commonground.errors import InputError
from commonground.io import schema
from commonground.io.jsonable import read_json_object
from commonground.io.schema import Manifest, read_manifest
from commonground.io.tables import read_table

if TYPE_CHECKING:
    from commonground.allocate.result import Allocation


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
    scenario: str = ""  # the built-in scenario it was run on, when known (the lawful-use rule needs it)

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
        """Read an allocation folder through its manifest (the files the run wrote, checked against their
        SHA-256); coordinates come from ``blocks.csv`` or ``inputs/flats.csv`` in ``folder`` or in
        ``coordinate_folders`` (first found wins), else from composition.csv's block rows, else from
        allocation.csv (housed households' blocks only)."""
        manifest = read_manifest(folder)
        if manifest.kind != schema.ALLOCATION:
            raise InputError(f"a {manifest.kind} output, not an allocation", source=str(folder))
        summary = read_json_object(manifest.path(schema.SUMMARY_JSON))
        tables = {t.stem: output_table(manifest, t) for t in schema.ALLOCATION_TABLES}
        for name in ("reason", "status"):
            if name in tables["allocation"].columns:
                tables["allocation"][name] = tables["allocation"][name].fillna("").astype(str)
        data = cls(label=label or folder.name, summary=summary, composition=tables["composition"],
                   caps=tables["caps"], groups=tables["groups"], households=tables["allocation"],
                   source=str(folder))
        blocks_here = set(data.composition.loc[data.composition["level"] == "block", "unit_id"].astype(str))
        data.blocks = find_coordinates((folder, *coordinate_folders), blocks_here)
        comp = data.composition
        if data.blocks is None and {"lat", "lng"} <= set(comp.columns):
            # composition.csv carries every block's position, occupied or new
            b = comp[comp["level"] == "block"].drop_duplicates("unit_id")
            data.blocks = _clean_coordinates(pd.DataFrame({"block_id": b["unit_id"].astype(str), "lat": b["lat"],
                                                           "lng": b["lng"]}))
        if data.blocks is None and {"block_id", "lat", "lng"} <= set(data.households.columns):
            # allocation.csv carries each housed household's block position
            hh = data.households.dropna(subset=["block_id"])
            if len(hh):
                data.blocks = _clean_coordinates(hh.assign(block_id=hh["block_id"].astype(str)).groupby(
                    "block_id", as_index=False)[["lat", "lng"]].first())
        return data


def output_table(manifest: Manifest, table: schema.Table) -> pd.DataFrame:
    """A table of an output folder, as the manifest lists it: the Parquet twin (types kept) if the run wrote
    one, else the CSV typed by the table's declaration. A table written from an empty frame is empty."""
    return read_table(manifest.table_path(table), table=table, empty_ok=True)


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
