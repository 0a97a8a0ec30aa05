"""A small table of real HDB towns, embedded so the package needs no data folder.

Derived once from ../shared/data (see SOURCES.md there): ``hdb_blocks`` and ``hdb_units`` are the residential
blocks and dwelling units per town in HDB's "HDB Property Information" (2023 snapshot, data.gov.sg, SODL v1.0,
column ``bldg_contract_town``); the ethnic shares are residents of the town's planning area, Census of Population
2020 (Singapore Department of Statistics, SODL v1.0), Chinese / Malay / Indian / Others. Maturity is HDB's
mature / non-mature estate classification before the 2024 Standard/Plus/Prime classes. The derivation:
group the property file by town code, the Census file by planning area, divide each group by its total.
"""

from __future__ import annotations

import pandas as pd

#: town, code, mature, residential HDB blocks, dwelling units, Chinese, Malay, Indian, Others (shares of residents)
TOWNS = pd.DataFrame(
    [
        ("Ang Mo Kio", "AMK", True, 387, 51310, 0.828, 0.069, 0.079, 0.025),
        ("Bedok", "BD", True, 530, 64415, 0.728, 0.142, 0.088, 0.041),
        ("Tampines", "TAP", True, 840, 78033, 0.668, 0.218, 0.084, 0.031),
        ("Queenstown", "QT", True, 244, 35128, 0.815, 0.073, 0.074, 0.038),
        ("Punggol", "PG", False, 525, 57598, 0.756, 0.149, 0.070, 0.025),
        ("Sengkang", "SK", False, 635, 71437, 0.773, 0.115, 0.087, 0.025),
        ("Woodlands", "WL", False, 712, 70701, 0.609, 0.257, 0.111, 0.024),
        ("Jurong West", "JW", False, 732, 75206, 0.699, 0.177, 0.100, 0.024),
        ("Yishun", "YS", False, 684, 69251, 0.691, 0.182, 0.099, 0.028),
    ],
    columns=["town", "code", "mature", "hdb_blocks", "hdb_units", "Chinese", "Malay", "Indian", "Others"],
)
