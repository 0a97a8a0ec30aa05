"""The one table reader: CSV, TSV or Parquet, with errors that name the file and line.

Used for inputs (households, flats, preferences, HDB files: every column read as text, ids verbatim), for
``commonground measure`` (id and region columns as text, counts as numbers) and for the tables of output
folders (typed by their :class:`~commonground.io.schema.Table` declaration).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from commonground.errors import InputError

if TYPE_CHECKING:
    from commonground.io.schema import Table

PARQUET_SUFFIXES = (".parquet", ".pq")
TSV_SUFFIXES = (".tsv", ".tab")


def read_table(path: str | Path, *, required: tuple[str, ...] = (), text: Sequence[str] | None = None,
               table: Table | None = None, empty_ok: bool = False) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file; check required columns.

    Parameters
    ----------
    path : str or Path
        The file; the suffix (``.csv``, ``.tsv``, ``.parquet``...) picks the format.
    required : tuple of str, optional
        Columns that must be present.
    text : sequence of str, optional
        ``None`` (inputs): every CSV column is text, ids kept verbatim, only empty fields missing.
        ``[...]``: those columns are text (also from Parquet), the others are inferred (numbers stay numbers).
    table : Table, optional
        An output table; its numeric and boolean columns are typed, a non-number names its line.
    empty_ok : bool, optional
        A CSV with no header at all (pandas writes one for a frame without columns) is an empty table.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    InputError
        Missing file, missing column, malformed file or bad value, naming file, row and column.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", source=str(p))
    if empty_ok and p.suffix.lower() not in PARQUET_SUFFIXES:
        with p.open("rb") as fh:
            if not fh.read(4096).strip(b'"\r\n'):
                return pd.DataFrame()
    sep = "\t" if p.suffix.lower() in TSV_SUFFIXES else ","
    try:
        if p.suffix.lower() in PARQUET_SUFFIXES:
            df = pd.read_parquet(p)
            for c in text or ():
                if c in df.columns:
                    df[c] = df[c].astype(str)
        else:
            _check_csv_shape(p, sep)
            if text is None:
                df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True,
                                 sep=sep)
            else:
                head = pd.read_csv(p, nrows=0, sep=sep)
                df = pd.read_csv(p, dtype={c: str for c in text if c in head.columns}, sep=sep)
    except InputError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as e:
        raise InputError(f"malformed file: {str(e).splitlines()[0]}", source=str(p)) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)} (found: {', '.join(df.columns)})",
                         source=str(p))
    if table is not None:
        typed(df, table, p)
    return df


def numeric_columns(df: pd.DataFrame, columns: Sequence[str], source: Path | str) -> pd.DataFrame:
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


def typed(df: pd.DataFrame, table: Table, source: Path | str) -> pd.DataFrame:
    """Type an output table read from CSV text as its declaration says (numbers, booleans, text ids)."""
    numeric_columns(df, table.numeric, source)
    for c in table.boolean:
        if c in df.columns and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype(str).str.lower().isin(("true", "1", "yes"))
    for c in ("unit_id", "block_id", "value", "attribute", "level", "limit"):
        if c in df.columns and not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _check_csv_shape(p: Path, sep: str = ",") -> None:
    """Every line must have as many fields as the header: name the first that does not."""
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=sep)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError("empty file (no header)", source=str(p)) from None
        except csv.Error as e:
            raise InputError(f"malformed CSV header ({e})", source=str(p), row=1) from None
        n = len(header)
        if n == 0 or all(not h.strip() for h in header):
            raise InputError("empty header", source=str(p))
        dup = {h.strip() for h in header if [x.strip() for x in header].count(h.strip()) > 1}
        if dup:
            raise InputError(f"duplicate column '{sorted(dup)[0]}'", source=str(p), row=1)
        try:
            for row in reader:
                if row and len(row) != n:
                    raise InputError(f"expected {n} fields, found {len(row)}", source=str(p), row=reader.line_num)
        except csv.Error as e:
            # e.g. a field over csv.field_size_limit() (131,072 characters): most often an unclosed quote.
            limit = csv.field_size_limit()
            what = (f"a field longer than {limit:,} characters (an unclosed quote?)" if "field larger" in str(e)
                    else f"malformed CSV ({e})")
            raise InputError(what, source=str(p), row=reader.line_num) from None
