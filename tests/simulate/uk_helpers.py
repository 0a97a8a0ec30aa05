"""Small synthetic census tables (the published OA format) with known answers, for the UK tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from commonground.simulate.uk_rates import DETAILED

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
OA_FILE = SHARED / "ew_census2011_ethnicity_oa.csv"


def write_table(path: Path, areas: list[tuple[str, str, str, str, dict[str, int]]]) -> Path:
    """``areas``: (OA, LSOA, MSOA, LAD, {group: persons}) → an OA table in the published column layout."""
    rows = []
    for oa, lsoa, msoa, lad, persons in areas:
        row = {"OA": oa, "Persons": sum(persons.values())}
        for g in DETAILED:
            row[g if g != "GypsyTraveller" else "GypsyTraveller_derived"] = persons.get(g, 0)
        row.update({"LSOA": lsoa, "MSOA": msoa, "LAD": lad, "RGN": "North West"})
        rows.append(row)
    cols = ["OA", "Persons", *[g if g != "GypsyTraveller" else "GypsyTraveller_derived" for g in DETAILED],
            "LSOA", "MSOA", "LAD", "RGN"]
    pd.DataFrame(rows)[cols].to_csv(path, index=False)
    return path


def two_sided_town(path: Path, oas_per_side: int = 4, persons: int = 230) -> Path:
    """Two neighbourhoods, one all White British, one all Pakistani (household sizes 2.3 and 4.1), in 'Testham';
    plus a second authority so national shares are not 1."""
    areas = []
    for side, group in (("A", "WhiteBrit"), ("B", "Pakistani")):
        for i in range(oas_per_side):
            areas.append((f"E0{side}{i:06d}", f"E01{side}", "E02X", "Testham", {group: persons}))
    areas.append(("E0C000000", "E01C", "E02Y", "Otherton", {"WhiteBrit": 1000, "Indian": 1000}))
    return write_table(path, areas)
