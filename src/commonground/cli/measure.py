"""``commonground measure FILE --unit COL --groups A,B,C [--by COL] [--index ...] [--out FILE]``.

Reads a CSV or Parquet table of counts (one row per areal unit), computes integration indices for the whole
file or per ``--by`` region, prints a Rich table or writes CSV/Parquet. Bad input exits 2 with one line and
writes nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from commonground.cli.common import console, guarded, renamed
from commonground.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

READERS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
WRITERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def read_table(path: Path, text_columns: list[str]) -> pd.DataFrame:
    """A CSV/TSV/Parquet file as a DataFrame; ``text_columns`` (ids, region names) are read as text."""
    import pandas as pd

    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"unsupported file type '{path.suffix}' (use .csv, .tsv or .parquet)", source=str(path))
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
            for col in text_columns:
                if col in frame.columns:
                    frame[col] = frame[col].astype(str)
            return frame
        head = pd.read_csv(path, nrows=0, sep="\t" if kind == "tsv" else ",")
        dtypes = {c: str for c in text_columns if c in head.columns}
        return pd.read_csv(path, dtype=dtypes, sep="\t" if kind == "tsv" else ",")
    except (ValueError, OSError) as e:  # malformed CSV, corrupt Parquet
        raise InputError(f"cannot read the file ({str(e).splitlines()[0]})", source=str(path)) from None


def _write(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically (temporary file + rename) so a failure leaves no partial output."""
    kind = WRITERS[path.suffix.lower()]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if kind == "csv":
            frame.to_csv(tmp)
        else:
            frame.to_parquet(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _header(column: str) -> str:
    """``dissimilarity[Black]`` -> ``D Black``; ``theil_h`` -> ``H``."""
    from commonground.measure import INDICES

    name, _, group = column.partition("[")
    symbol = INDICES[name].symbol if name in INDICES else name
    return f"{symbol} {group.rstrip(']')}" if group else symbol


def _rich_table(frame: pd.DataFrame, title: str) -> Table:
    import pandas as pd
    from rich.table import Table

    from commonground.measure import INDICES

    used = dict.fromkeys(c.partition("[")[0] for c in frame.columns)
    caption = ", ".join(f"{INDICES[n].symbol} = {INDICES[n].description}" for n in used if n in INDICES)
    table = Table(title=title, caption=caption, header_style="bold")
    table.add_column(str(frame.index.name or "region"), style="cyan", max_width=28)
    for col in frame.columns:
        table.add_column(_header(str(col)), justify="right", no_wrap=True, min_width=5)
    for label, row in frame.iterrows():
        table.add_row(str(label), *("" if pd.isna(v) else f"{v:.3f}" for v in row))
    return table


def register(app: typer.Typer) -> None:
    """Add the ``measure`` command to the ``commonground`` app."""

    @app.command("measure")
    @guarded
    def measure_command(
        file: Path = typer.Argument(..., help="CSV or Parquet table: one row per areal unit (block, output area)."),
        groups: str = typer.Option(..., "--groups", "-g", help="Count columns, comma-separated: A,B,C."),
        unit: str | None = typer.Option(None, "--unit", "-u", help="Unit id column (default: row number)."),
        by: str | None = typer.Option(None, "--by", "-b", help="Region column: one result row per region."),
        total: str | None = typer.Option(None, "--total", "-t",
                                         help="Unit total column for single-group indices "
                                              "(default: the sum of the groups)."),
        index: list[str] | None = typer.Option(None, "--index", "-i",
                                               help="Index names (repeat or comma-separate), or 'all'. Default: "
                                                    "the multigroup summary."),
        to: Path | None = typer.Option(None, "--to", "-o", help="Write this CSV or Parquet file instead of "
                                                               "printing."),
        old_out: Path | None = typer.Option(None, "--out", hidden=True, help="Old name of --to."),
        tidy: bool = typer.Option(False, "--tidy", help="One row per region, index and group."),
    ) -> None:
        """Segregation, exposure and diversity indices of a table of counts per areal unit."""
        out = renamed("--out FILE", "--to FILE", old_out, to)
        from commonground.measure import INDICES, SUMMARY_INDICES, Counts, measure, resolve

        if out is not None:
            if out.suffix.lower() not in WRITERS:
                raise InputError(f"unsupported output type '{out.suffix}' (use .csv or .parquet)", source=str(out))
            if not out.parent.exists():
                raise InputError("output folder does not exist", source=str(out))
        group_list = _split([groups])
        names = _split(index)
        if not group_list:
            raise InputError("--groups names no columns")
        if [n.lower() for n in names] != ["all"]:
            for n in names:
                resolve(n)  # unknown index names fail before the file is read
        frame = read_table(file, [c for c in (unit, by) if c])
        counts = Counts.from_frame(frame, group_list, total=total, by=by, unit=unit, source=str(file))
        if not names:
            names = list(SUMMARY_INDICES) if counts.n_groups >= 2 else [
                n for n, s in INDICES.items() if s.family == "single"]
        elif [n.lower() for n in names] == ["all"]:
            names = [n for n, s in INDICES.items() if s.family == "single" or counts.n_groups >= 2]
        result = measure(counts, names, tidy=tidy)
        if out is not None:
            _write(result if not tidy else result.set_index(result.columns[0]), out)
            console.print(f"wrote {len(result)} rows x {result.shape[1]} columns to {out}", highlight=False)
            return
        if tidy:
            result = result.set_index(result.columns[0])
            result["value"] = result["value"].astype(float)
            console.print(result.to_string())
            return
        title = f"{file.name}: {counts.n_units} units, {counts.n_groups} groups" + (f", by {by}" if by else "")
        console.print(_rich_table(result, title))
