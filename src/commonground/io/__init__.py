"""Input and output: CSV/Parquet tables, the published HDB property file, allocation outputs."""

from commonground.io.hdb import development_from_hdb, read_hdb_property_information
from commonground.io.readers import read_development, read_households, read_problem
from commonground.io.tables import read_table

__all__ = ["development_from_hdb", "read_development", "read_hdb_property_information", "read_households",
           "read_problem", "read_table"]
