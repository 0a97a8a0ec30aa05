"""National rates by ethnic group that the census table lacks, each with its source and year (or labelled
illustrative where no source was found). ``docs/uk.md`` lists them with the same citations.

Keys are the 2011 Census's 15 groups as named in the ONS output-area table (``WhiteBrit`` … ``GypsyTraveller``).
A :class:`Rate` keeps the value, whether it is sourced, and the citation, so every page that uses a value can
say which it is. Broad groups (White, Mixed, Asian, Black, Other) get the population-weighted mean of their
detailed groups *within the authority* (:func:`broad_rates`), so a broad rate in Bradford leans Pakistani.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DETAILED = ("WhiteBrit", "Irish", "OtherWhite", "Mixed", "Indian", "Pakistani", "Bangladeshi", "Chinese",
            "OtherAsian", "BlkAfrican", "BlkCaribbean", "OtherBlk", "Arab", "Other", "GypsyTraveller")
# ONS 2011 broad ethnic groups (Chinese in Asian; Arab in Other; Gypsy or Irish Traveller in White).
BROAD = {"WhiteBrit": "White", "Irish": "White", "OtherWhite": "White", "GypsyTraveller": "White",
         "Mixed": "Mixed", "Indian": "Asian", "Pakistani": "Asian", "Bangladeshi": "Asian", "Chinese": "Asian",
         "OtherAsian": "Asian", "BlkAfrican": "Black", "BlkCaribbean": "Black", "OtherBlk": "Black",
         "Arab": "Other", "Other": "Other"}
BROAD_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")


@dataclass(frozen=True)
class Rate:
    value: float
    sourced: bool
    source: str


_HH_2001 = ("ONS, Focus on Ethnicity and Religion (2006), 2001 Census: average household size of White 2.3, "
            "Indian 3.3, Pakistani 4.1, Bangladeshi 4.5 persons")
_HH_ASSUMED = ("illustrative: no group figure found; the England and Wales 2011 average of 2.4 persons "
               "(ONS 2011 Census) is used")
HOUSEHOLD_SIZE: dict[str, Rate] = {
    "WhiteBrit": Rate(2.3, True, _HH_2001), "Irish": Rate(2.3, True, _HH_2001 + " (White)"),
    "OtherWhite": Rate(2.3, True, _HH_2001 + " (White)"), "Indian": Rate(3.3, True, _HH_2001),
    "Pakistani": Rate(4.1, True, _HH_2001), "Bangladeshi": Rate(4.5, True, _HH_2001),
    **{g: Rate(2.4, False, _HH_ASSUMED) for g in ("Mixed", "Chinese", "OtherAsian", "BlkAfrican", "BlkCaribbean",
                                                  "OtherBlk", "Arab", "Other", "GypsyTraveller")},
}

_SOCIAL_2021 = ("ONS Census 2021, share of people living in social rented housing by ethnic group (published "
                "15 March 2023): White British 16 %, Black 44 %, Mixed 27 %, Bangladeshi 34 %, Indian 5 %, "
                "Pakistani 13 %, Chinese 8 %, Gypsy or Irish Traveller 44 %")
_SOCIAL_ASSUMED = "illustrative: no group figure found; the White British rate (16 %) is used"
SOCIAL_RENT: dict[str, Rate] = {
    "WhiteBrit": Rate(0.16, True, _SOCIAL_2021), "Mixed": Rate(0.27, True, _SOCIAL_2021),
    "Indian": Rate(0.05, True, _SOCIAL_2021), "Pakistani": Rate(0.13, True, _SOCIAL_2021),
    "Bangladeshi": Rate(0.34, True, _SOCIAL_2021), "Chinese": Rate(0.08, True, _SOCIAL_2021),
    "BlkAfrican": Rate(0.44, True, _SOCIAL_2021 + " (Black)"),
    "BlkCaribbean": Rate(0.44, True, _SOCIAL_2021 + " (Black)"),
    "OtherBlk": Rate(0.44, True, _SOCIAL_2021 + " (Black)"), "GypsyTraveller": Rate(0.44, True, _SOCIAL_2021),
    **{g: Rate(0.16, False, _SOCIAL_ASSUMED) for g in ("Irish", "OtherWhite", "OtherAsian", "Arab", "Other")},
}

_OWN_EHS = ("MHCLG English Housing Survey 2016–18 via Ethnicity facts and figures, 'Home ownership': all "
            "households 63 %, White British 68 %, Indian 74 %, Black African 20 %, Arab 17 %")
_OWN_ASSUMED = "illustrative: no group figure found; the all-households rate (63 %) is used"
OWNER_OCCUPIED: dict[str, Rate] = {
    "WhiteBrit": Rate(0.68, True, _OWN_EHS), "Indian": Rate(0.74, True, _OWN_EHS),
    "BlkAfrican": Rate(0.20, True, _OWN_EHS), "Arab": Rate(0.17, True, _OWN_EHS),
    **{g: Rate(0.63, False, _OWN_ASSUMED) for g in ("Irish", "OtherWhite", "Mixed", "Pakistani", "Bangladeshi",
                                                    "Chinese", "OtherAsian", "BlkCaribbean", "OtherBlk", "Other",
                                                    "GypsyTraveller")},
}

_EMP_2014 = ("ONS Annual Population Survey, April–June 2014 (Business in the Community fact file): employment "
             "rate of people aged 16–64, all 72.9 %, White 74.5 %, Pakistani 49.8 %")
_EMP_2015 = ("ONS Annual Population Survey 2015, Great Britain (Lancashire County Council, 'Employment and "
             "ethnicity'): White 75.3 %, Indian 71.2 %")
_EMP_ASSUMED = "illustrative: no group figure found; the all-people rate (72.9 %, APS 2014) is used"
EMPLOYMENT: dict[str, Rate] = {
    "WhiteBrit": Rate(0.745, True, _EMP_2014 + " (White)"), "Irish": Rate(0.745, True, _EMP_2014 + " (White)"),
    "OtherWhite": Rate(0.745, True, _EMP_2014 + " (White)"), "Pakistani": Rate(0.498, True, _EMP_2014),
    "Indian": Rate(0.712, True, _EMP_2015),
    **{g: Rate(0.729, False, _EMP_ASSUMED) for g in ("Mixed", "Bangladeshi", "Chinese", "OtherAsian", "BlkAfrican",
                                                     "BlkCaribbean", "OtherBlk", "Arab", "Other",
                                                     "GypsyTraveller")},
}

# The people the migration figures count, and the population they are apportioned over.
UK_POPULATION_2011 = 63_182_000.0  # ONS 2011 Census, UK usual residents (63.2 million)
EW_POPULATION_2011 = 56_075_912.0  # ONS 2011 Census, England and Wales usual residents (KS201EW)

RATES: dict[str, dict[str, Rate]] = {"household_size": HOUSEHOLD_SIZE, "social_rent": SOCIAL_RENT,
                                     "owner_occupied": OWNER_OCCUPIED, "employment": EMPLOYMENT}


def detailed_values(name: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """``{detailed group: value}`` for rate ``name``, with the user's overrides (detailed group names)."""
    out = {g: r.value for g, r in RATES[name].items()}
    for g, v in (overrides or {}).items():
        if g not in out:
            from commonground.errors import InputError

            raise InputError(f"'{name}' names group '{g}' (census groups: {', '.join(DETAILED)})")
        out[g] = float(v)
    return out


def broad_rates(values: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float]:
    """Broad-group rates: the ``weights``-weighted mean of the detailed groups in each broad group (equal
    weights where a broad group has no weight in the authority)."""
    out = {}
    for b in BROAD_GROUPS:
        members = [g for g in DETAILED if BROAD[g] == b]
        w = [float(weights.get(g, 0.0)) for g in members]
        if sum(w) <= 0:
            w = [1.0] * len(members)
        out[b] = sum(values[g] * x for g, x in zip(members, w, strict=True)) / sum(w)
    return out


def rate_table() -> list[dict[str, object]]:
    """Every rate as rows (for docs and reports): rate, group, value, sourced, source."""
    return [{"rate": n, "group": g, "value": r.value, "sourced": r.sourced, "source": r.source}
            for n, table in RATES.items() for g, r in table.items()]
