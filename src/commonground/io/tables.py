"""Read CSV or Parquet tables with errors that name the file and line."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from commonground.errors import InputError


def read_table(path: str | Path, *, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV (all columns as text, ids kept verbatim) or Parquet file; check required columns."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", source=str(p))
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        else:
            _check_csv_shape(p)
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except InputError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as e:
        raise InputError(f"malformed file: {str(e).splitlines()[0]}", source=str(p)) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)} (found: {', '.join(df.columns)})",
                         source=str(p))
    return df


def _check_csv_shape(p: Path) -> None:
    """Every line must have as many fields as the header: name the first that does not."""
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
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
